import Foundation
import ModelZoo
import NNUNetRuntime

/// What `vibeseg labels` lists: one row per structure of a model, from the one registry
/// (`TotalVibeLabel.all`) for the TotalVibeSegmentator models, else from the model's dataset.json.
public struct LabelListing: Codable, Sendable, Equatable {
  public struct Row: Codable, Sendable, Equatable {
    public var id: Int
    public var name: String
    public var group: String?
    public var expectedComponents: [Int]?
    public var autofixVoxels: Int?
  }

  public var schemaVersion = 1
  public var model: String
  public var labels: [Row]

  /// The registry rows (models 100 and 99).
  public static var totalVibe: LabelListing {
    LabelListing(
      model: String(ModelCatalogEntry.defaultWholeBody),
      labels: TotalVibeLabel.all.map {
        Row(
          id: Int($0.id), name: $0.name, group: $0.group.rawValue,
          expectedComponents: [$0.expectedComponents.lowerBound, $0.expectedComponents.upperBound],
          autofixVoxels: $0.autofixVoxels)
      })
  }

  /// `model` nil or an id whose catalog entry uses the TotalVibe label set (100, 99): the
  /// registry; otherwise the labels of the folder `resolve` returns for it (spine models
  /// relabelled as `vibeseg spine` writes them).
  public static func make(model: String?, resolve: (String) throws -> URL) throws -> LabelListing {
    guard let model, ModelCatalogEntry.registered(model)?.labelSet != .totalVibe else {
      var listing = totalVibe
      listing.model = model ?? String(ModelCatalogEntry.defaultWholeBody)
      return listing
    }
    let folder = try resolve(model)
    let dataset = try DatasetDescription(contentsOf: folder.appendingPathComponent("dataset.json"))
    var names = dataset.structureNames
    if ModelCatalogEntry.registered(model)?.role == .spine, let id = Int(model), let spine = SpineModel(rawValue: id) {
      names = spine.outputNames(modelNames: names)
    }
    return LabelListing(model: model, labels: names.sorted { $0.key < $1.key }.map { Row(id: $0.key, name: $0.value) })
  }

  /// A plain-text table: id, name, group, expected components.
  public var table: String {
    var lines = ["id  name                              group              components"]
    for row in labels {
      let id = String(row.id).padding(toLength: 4, withPad: " ", startingAt: 0)
      let name = row.name.padding(toLength: 34, withPad: " ", startingAt: 0)
      let group = (row.group ?? "").padding(toLength: 19, withPad: " ", startingAt: 0)
      let components = row.expectedComponents.map { "\($0[0])..\($0[1])" } ?? ""
      lines.append(id + name + group + components)
    }
    return lines.joined(separator: "\n")
  }
}
