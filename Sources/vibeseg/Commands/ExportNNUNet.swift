import ArgumentParser
import Foundation
import VibeSegKit

extension NNUNetExportJob.FileMode: ExpressibleByArgument {}

extension VibeSegCommand {
  struct ExportNNUNet: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export-nnunet",
      abstract: "Write training cases as an nnU-Net v2 raw dataset with subject-grouped folds and a train.sh.",
      discussion: """
        CASES is a folder with images/ and labels/ (each images/<case>.nii.gz has its label \
        map labels/<case>.nii.gz; <case> = <subject>_<session>_<contrast>[_<split>][_d<k>], \
        _d<k> marking a deformed copy as vibeseg augment names them), or a manifest: JSON (a \
        list of {"subject", "session", "contrast", "image", "label", optional "split", "copy"}) \
        or CSV with those column names; relative paths are relative to the manifest. Each \
        contrast is its own single-channel case. --augmented DIR adds the deformed copies \
        vibeseg augment wrote into DIR: each <case>_d<k>.json sidecar names the source image \
        (one of the cases) and its deformed image and label map.

        Writes OUTPUT/DatasetXXX_NAME/ (all at once or nothing): imagesTr/, labelsTr/ (hard \
        links, or copies with --files copy), dataset.json (labels 0...N from the label set and \
        ignore = N + 1; orientation and spacing of the cases), splits_final.json, train.sh \
        (ResEnc-L planning, nnUNetTrainerNoMirroring) and vibeseg_export.json.

        Folds: subjects sorted by name, the p-th subject in fold p mod --folds; validation lists \
        only undeformed cases; deformed copies of a fold's validation subjects are in neither \
        list of that fold. train.sh copies splits_final.json into \
        $nnUNet_preprocessed/DatasetXXX_NAME/ after planning.

        Every image/label pair must share its grid, labels must be in 0...ignore, and all cases \
        one orientation and spacing (use vibeseg resample-to first).

        Example:
          vibeseg export-nnunet cases.csv --id 101 --name MyVibe -o "$nnUNet_raw"
          sh "$nnUNet_raw/Dataset101_MyVibe/train.sh" 0
        """)

    @Argument(help: "A case folder (images/, labels/) or a manifest (.json or .csv).")
    var cases: String

    @Option(help: "nnU-Net dataset id (1-999).")
    var id: Int

    @Option(help: "Dataset name (letters, digits, '-', '_'): the folder is DatasetXXX_NAME.")
    var name: String

    @Option(name: .shortAndLong, help: "nnU-Net's raw folder ($nnUNet_raw); must exist.")
    var output: String

    @Option(
      help:
        "A folder of vibeseg augment copies of these cases (read through their <case>_d<k>.json sidecars); repeatable.")
    var augmented: [String] = []

    @Option(
      help:
        "Label names for a label set other than TotalVibeSegmentator's (dataset.json, id->name JSON, ITK-SNAP); ids 1...N without gaps."
    )
    var labelNames: String?

    @Option(help: "Subject-grouped cross-validation folds (2 ... number of subjects).")
    var folds: Int = 5

    @Option(help: "dataset.json channel name; picks nnU-Net's normalisation (MRI: z-score, CT: CT).")
    var channelName: String = "MRI"

    @Option(help: "How images and labels enter the dataset: link (hard links, copy across file systems) or copy.")
    var files: NNUNetExportJob.FileMode = .link

    @Flag(help: "Replace an existing DatasetXXX_NAME folder.")
    var overwrite = false

    func validate() throws {
      if !NNUNetExportJob.idRange.contains(id) { throw ValidationError("--id must be 1...999, got \(id)") }
      if folds < 2 { throw ValidationError("--folds must be at least 2, got \(folds)") }
      if channelName.isEmpty { throw ValidationError("--channel-name must not be empty") }
    }

    func run() throws {
      try reportingErrors {
        var job = NNUNetExportJob(
          cases: URL(fileURLWithPath: cases), output: URL(fileURLWithPath: output), datasetID: id, datasetName: name)
        if let labelNames { job.labels = try TrainingLabelSet(contentsOf: URL(fileURLWithPath: labelNames)) }
        job.augmented = augmented.map { URL(fileURLWithPath: $0) }
        job.foldCount = folds
        job.channelName = channelName
        job.files = files
        job.overwrite = overwrite
        let outcome = try job.run()
        printError(
          "vibeseg: \(outcome.caseCount) cases (\(outcome.subjectCount) subjects, \(outcome.deformedCopies) deformed copies), \(outcome.orientation) \(outcome.spacing) mm, \(outcome.folds.count) subject-grouped folds"
        )
        printWritten([outcome.datasetFolder.path])
      }
    }
  }

  struct CheckTrained: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "check-trained",
      abstract: "Check a model nnU-Net trained on an export-nnunet dataset (labels, spacing, trainer, checkpoints).",
      discussion: """
        MODEL is the result folder (…/nnUNetTrainerNoMirroring__nnUNetPlannerResEncL__3d_fullres), \
        opened as vibeseg predict -m opens it. Checks: labels equal the export's dataset.json; \
        plans 3d_fullres spacing equals the exported spacing in nnU-Net's axis order (NIfTI \
        i j k reversed, then transpose_forward); folder and checkpoint trainer_name are \
        nnUNetTrainerNoMirroring; each checkpoint has network_weights, init_args and \
        inference_allowed_mirroring_axes = None; the weights bind to the plans' network. \
        Prints one line per check; exit 65 when one fails.

        Example:
          vibeseg check-trained "$nnUNet_results/Dataset101_MyVibe/nnUNetTrainerNoMirroring__nnUNetPlannerResEncL__3d_fullres" \\
            --dataset "$nnUNet_raw/Dataset101_MyVibe" -f 0
        """)

    @Argument(help: "The trained model folder.")
    var model: String

    @Option(help: "The exported raw dataset folder (DatasetXXX_NAME).")
    var dataset: String

    @Option(
      name: [.customShort("f"), .long], parsing: .upToNextOption, help: "Folds to check (default: every fold_N found).")
    var folds: [String] = []

    func run() throws {
      try reportingErrors {
        let check = TrainedModelCheck(
          model: URL(fileURLWithPath: model), dataset: URL(fileURLWithPath: dataset), folds: folds.isEmpty ? nil : folds
        )
        let items = try check.run()
        for item in items { print("\(item.passed ? "ok" : "FAILED") \(item.name): \(item.detail)") }
        if items.contains(where: { !$0.passed }) {
          printError(
            "vibeseg: error: \(model): \(items.filter { !$0.passed }.map(\.name).joined(separator: ", ")) check(s) failed"
          )
          throw ExitCode(65)
        }
      }
    }
  }
}
