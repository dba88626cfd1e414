import Foundation

/// The text files of an nnU-Net raw dataset written by `vibeseg export-nnunet`
/// (training.md §5.1, §5.3, §5.4).
public enum NNUNetExportFiles {
  /// The planner and trainer of TotalVibeSegmentator's model 100 (training.md §5.3): the plans
  /// name is the planner's class name (`-overwrite_plans_name`), so the result folder is
  /// `nnUNetTrainerNoMirroring__nnUNetPlannerResEncL__3d_fullres`.
  public static let planner = "nnUNetPlannerResEncL"
  public static let trainer = "nnUNetTrainerNoMirroring"
  public static let configuration = "3d_fullres"

  /// `Dataset` + three-digit id + `_` + name.
  public static func datasetFolderName(id: Int, name: String) -> String {
    "Dataset" + String(format: "%03d", id) + "_" + name
  }

  /// The result folder name nnU-Net gives this trainer/plans/configuration.
  public static var resultFolderName: String { "\(trainer)__\(planner)__\(configuration)" }

  /// `dataset.json`: `channel_names` (one channel), `labels` (name → id in id order, with
  /// `background` and `ignore`), `numTraining`, `file_ending`, and the extra keys nnU-Net copies
  /// into the trained model folder: `orientation` (axis codes of every exported case; VibeSeg's
  /// predictor reorients inputs to it), `spacing` (mm, NIfTI axis order i j k, shared by every
  /// case), `nnUNetTrainer`, `nnUNetPlans`, `vibeseg` (tool version and fold rule).
  static func datasetJSON(
    labels: TrainingLabelSet, channelName: String, caseCount: Int, orientation: String, spacing: [Double],
    foldCount: Int
  ) -> String {
    let labelLines = labels.datasetLabels.map { "    \(quoted($0.name)): \($0.id)" }.joined(separator: ",\n")
    let axes = orientation.map { quoted(String($0)) }.joined(separator: ", ")
    return """
      {
        "channel_names": {
          "0": \(quoted(channelName))
        },
        "labels": {
      \(labelLines)
        },
        "numTraining": \(caseCount),
        "file_ending": ".nii.gz",
        "orientation": [\(axes)],
        "spacing": [\(spacing.map { number($0) }.joined(separator: ", "))],
        "nnUNetTrainer": \(quoted(trainer)),
        "nnUNetPlans": \(quoted(planner)),
        "vibeseg": {
          "schemaVersion": 1,
          "version": \(quoted(VibeSegVersion.string)),
          "labelSource": \(quoted(labels.source)),
          "folds": \(foldCount),
          "foldRule": "subjects sorted by name, subject p in fold p mod folds; deformed copies of validation subjects left out"
        }
      }

      """
  }

  /// `splits_final.json`: a list of `{"train": [...], "val": [...]}`, fold f at index f.
  static func splitsJSON(_ folds: [SubjectFolds.Fold]) -> String {
    func list(_ ids: [String]) -> String { "[" + ids.map(quoted).joined(separator: ", ") + "]" }
    let entries = folds.map { "  {\n    \"train\": \(list($0.train)),\n    \"val\": \(list($0.val))\n  }" }
    return "[\n" + entries.joined(separator: ",\n") + "\n]\n"
  }

  /// `train.sh`: the commands of training.md §5.3 for this dataset. `splits_final.json` is
  /// copied into `$nnUNet_preprocessed/<dataset>/` after planning (that folder only exists
  /// then; nnU-Net reads it when training starts and logs "Using splits from existing split
  /// file").
  static func trainScript(id: Int, folderName: String) -> String {
    """
    #!/bin/sh
    # Written by vibeseg export-nnunet \(VibeSegVersion.string) for \(folderName).
    # Training runs on nnU-Net v2 (pip install nnunetv2); a GPU is strongly recommended
    # (the ResEnc-L planner targets 24 GB of GPU memory).
    # Usage: sh train.sh [FOLD]   (FOLD: 0...k-1 of splits_final.json, or all; default 0)
    set -eu
    : "${nnUNet_raw:?set nnUNet_raw to the folder holding \(folderName)}"
    : "${nnUNet_preprocessed:?set nnUNet_preprocessed}"
    : "${nnUNet_results:?set nnUNet_results}"
    FOLD="${1:-0}"
    HERE=$(cd "$(dirname "$0")" && pwd)

    nnUNetv2_plan_and_preprocess -d \(id) -pl \(planner) -overwrite_plans_name \(planner) \\
        -c \(configuration) --verify_dataset_integrity
    # subject-grouped folds (all cases of a subject in one fold; no deformed copy of a
    # validation subject in training)
    cp "$HERE/splits_final.json" "$nnUNet_preprocessed/\(folderName)/splits_final.json"
    nnUNetv2_train \(id) \(configuration) "$FOLD" -tr \(trainer) -p \(planner)

    # then: vibeseg check-trained "$nnUNet_results/\(folderName)/\(resultFolderName)" --dataset "$HERE"
    #       vibeseg predict -m "$nnUNet_results/\(folderName)/\(resultFolderName)" -f "$FOLD" -i image.nii.gz -o seg.nii.gz

    """
  }

  /// A JSON string literal.
  static func quoted(_ text: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .withoutEscapingSlashes
    return String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
  }

  /// Shortest round-trip decimal of `value` (Swift's description).
  static func number(_ value: Double) -> String { "\(value)" }
}
