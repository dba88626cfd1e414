import Foundation

/// An nnU-Net v2 `plans.json`, with configurations resolved (`inherits_from`) and decoded into
/// typed values once (nnunet-inference.md 1.3–1.5). Unknown normalisation schemes, network classes
/// or layers throw `PlansError` instead of silently falling back.
public struct Plans: Sendable {
  public var datasetName: String
  public var plansName: String
  /// Permutation applied to the reader's (z, y, x) axes before preprocessing; `transposeBackward`
  /// is its inverse.
  public var transposeForward: [Int]
  public var transposeBackward: [Int]
  public var imageReaderWriter: String
  /// Per input channel (CTNormalization uses mean, std and the 0.5/99.5 percentiles).
  public var foregroundIntensityProperties: [Int: IntensityProperties]
  /// Configurations by name, inheritance resolved.
  public var configurations: [String: Configuration]
  /// Configuration names in file order.
  public var configurationNames: [String]

  public init(contentsOf url: URL) throws {
    let json = try JSONValue.parse(url)
    datasetName = try json.optionalMember("dataset_name")?.string() ?? ""
    plansName = try json.optionalMember("plans_name")?.string() ?? "nnUNetPlans"
    transposeForward = try json.member("transpose_forward").ints()
    transposeBackward = try json.member("transpose_backward").ints()
    for (name, p) in [("transpose_forward", transposeForward), ("transpose_backward", transposeBackward)] {
      guard p.sorted() == Array(0..<p.count), p.count == 3 else {
        throw json.child(name, .null).fail("must be a permutation of [0, 1, 2], found \(p)")
      }
    }
    let forward = transposeForward, backward = transposeBackward
    guard forward.indices.allSatisfy({ backward[forward[$0]] == $0 }) else {
      throw json.child("transpose_backward", .null).fail("is not the inverse of transpose_forward \(transposeForward)")
    }
    imageReaderWriter = try json.optionalMember("image_reader_writer")?.string() ?? "SimpleITKIO"
    var properties = [Int: IntensityProperties]()
    let fip = try json.optionalMember("foreground_intensity_properties_per_channel")
      ?? json.optionalMember("foreground_intensity_properties_by_modality")
    for (key, value) in try fip?.members() ?? [] {
      guard let channel = Int(key) else { throw value.fail("channel key must be an integer") }
      properties[channel] = try IntensityProperties(json: value)
    }
    foregroundIntensityProperties = properties
    let raw = try json.member("configurations")
    let members = try raw.members()
    configurationNames = members.map(\.key)
    var resolved = [String: Configuration]()
    for name in configurationNames {
      let merged = try Self.resolve(name, in: raw, chain: [])
      resolved[name] = try Configuration(name: name, json: merged)
    }
    configurations = resolved
  }

  /// A configuration by name, or a `PlansError` listing the available ones.
  public func configuration(_ name: String, path: String = "plans.json") throws -> Configuration {
    guard let c = configurations[name] else {
      throw PlansError(.invalidField, "no configuration '\(name)' (available: \(configurationNames.joined(separator: ", ")))", path: path, field: "configurations")
    }
    return c
  }

  /// `inherits_from`: deep copy of the parent, members overwritten by the child's (a shallow
  /// `dict.update`: nested objects such as `architecture` are replaced whole). Cycles throw.
  static func resolve(_ name: String, in configurations: JSONValue, chain: [String]) throws -> JSONValue {
    guard !chain.contains(name) else {
      throw configurations.fail("circular inherits_from: \((chain + [name]).joined(separator: " -> "))")
    }
    guard let own = try configurations.optionalMember(name) else {
      throw configurations.fail("inherits_from names a missing configuration '\(name)'")
    }
    guard let parentName = try own.optionalMember("inherits_from")?.string() else { return own }
    let parent = try resolve(parentName, in: configurations, chain: chain + [name])
    var merged = try parent.members().map { ($0.key, $0.value.node) }
    for (key, value) in try own.members() where key != "inherits_from" {
      if let index = merged.firstIndex(where: { $0.0 == key }) { merged[index].1 = value.node } else { merged.append((key, value.node)) }
    }
    return configurations.child(name, .object(merged.map { (key: $0.0, value: $0.1) }))
  }
}

/// `foreground_intensity_properties_per_channel[c]`.
public struct IntensityProperties: Sendable, Equatable {
  public var mean: Double
  public var median: Double
  public var std: Double
  public var min: Double
  public var max: Double
  public var percentile00_5: Double
  public var percentile99_5: Double

  init(json: JSONValue) throws {
    mean = try json.member("mean").double()
    median = try json.optionalMember("median")?.double() ?? .nan
    std = try json.member("std").double()
    min = try json.optionalMember("min")?.double() ?? .nan
    max = try json.optionalMember("max")?.double() ?? .nan
    percentile00_5 = try json.member("percentile_00_5").double()
    percentile99_5 = try json.member("percentile_99_5").double()
  }
}

/// Intensity normalisation of one input channel (`normalization_schemes[c]`).
public enum NormalizationScheme: String, Sendable, CaseIterable {
  case zScore = "ZScoreNormalization"
  case ct = "CTNormalization"
  case none = "NoNormalization"
  case rescaleTo01 = "RescaleTo01Normalization"
  case rgbTo01 = "RGBTo01Normalization"
}

/// `resampling_fn_*` and their kwargs.
public struct ResamplingSettings: Sendable, Equatable {
  public var functionName: String
  public var isSegmentation: Bool
  public var order: Int
  public var orderZ: Int
  /// nil: decide by the anisotropy rule (`ANISO_THRESHOLD` 3).
  public var forceSeparateZ: Bool?

  init(json: JSONValue, function: String, kwargs: String, defaultOrder: Int, isSeg: Bool) throws {
    functionName = try json.optionalMember(function)?.string() ?? "resample_data_or_seg_to_shape"
    guard functionName == "resample_data_or_seg_to_shape" else {
      throw json.child(function, .null).fail("resampling function \(functionName) is not supported", .unsupported)
    }
    let kw = try json.optionalMember(kwargs)
    isSegmentation = try kw?.optionalMember("is_seg")?.bool() ?? isSeg
    order = try kw?.optionalMember("order")?.int() ?? defaultOrder
    orderZ = try kw?.optionalMember("order_z")?.int() ?? 0
    forceSeparateZ = try kw?.optionalMember("force_separate_z")?.bool()
  }
}

/// One resolved configuration (`3d_fullres`, `3d_lowres`, ...).
public struct Configuration: Sendable {
  public var name: String
  /// Patch size in transposed axis order.
  public var patchSize: [Int]
  /// Target spacing in transposed axis order (mm).
  public var spacing: [Double]
  public var normalizationSchemes: [NormalizationScheme]
  public var useMaskForNorm: [Bool]
  public var dataResampling: ResamplingSettings
  public var segmentationResampling: ResamplingSettings
  public var probabilityResampling: ResamplingSettings
  public var architecture: NetworkArchitecture
  public var previousStage: String?
  public var batchSize: Int?

  init(name: String, json: JSONValue) throws {
    self.name = name
    patchSize = try json.member("patch_size").ints()
    spacing = try json.member("spacing").doubles()
    guard patchSize.count == spacing.count, (2...3).contains(patchSize.count) else {
      throw json.fail("patch_size \(patchSize) and spacing \(spacing) must both have 2 or 3 entries")
    }
    try Self.checkGeometry(patchSize: patchSize, spacing: spacing, json: json)
    let schemes = try json.member("normalization_schemes").array()
    normalizationSchemes = try schemes.map { value in
      let text = try value.string()
      guard let scheme = NormalizationScheme(rawValue: text) else {
        throw value.fail("unknown normalisation scheme '\(text)' (known: \(NormalizationScheme.allCases.map(\.rawValue).joined(separator: ", ")))", .unsupported)
      }
      return scheme
    }
    useMaskForNorm = try json.member("use_mask_for_norm").array().map { try $0.bool() }
    guard useMaskForNorm.count == normalizationSchemes.count else {
      throw json.child("use_mask_for_norm", .null).fail("has \(useMaskForNorm.count) entries for \(normalizationSchemes.count) channels")
    }
    dataResampling = try ResamplingSettings(json: json, function: "resampling_fn_data", kwargs: "resampling_fn_data_kwargs", defaultOrder: 3, isSeg: false)
    segmentationResampling = try ResamplingSettings(json: json, function: "resampling_fn_seg", kwargs: "resampling_fn_seg_kwargs", defaultOrder: 1, isSeg: true)
    probabilityResampling = try ResamplingSettings(json: json, function: "resampling_fn_probabilities", kwargs: "resampling_fn_probabilities_kwargs", defaultOrder: 1, isSeg: false)
    if let arch = try json.optionalMember("architecture") {
      architecture = try NetworkArchitecture(json: arch)
    } else {
      architecture = try NetworkArchitecture(oldStyle: json, patchDimension: patchSize.count)
    }
    guard architecture.dimension == patchSize.count else {
      throw json.fail("a \(architecture.dimension)-D network with a \(patchSize.count)-D patch size")
    }
    previousStage = try json.optionalMember("previous_stage")?.string()
    batchSize = try json.optionalMember("batch_size")?.int()
  }

  /// Largest accepted patch: 2²⁴ voxels (256³). nnU-Net plans patches of about 128³–192³ (3-D)
  /// and 2048² (2-D); the Gaussian map is patch-sized in Double and every network activation
  /// patch-sized times its features, so a larger patch is a broken or hostile plans file.
  public static let maxPatchVoxels = 1 << 24
  /// Accepted target spacing per axis, in mm: 0.01 ... 100. Finer than 10 µm or coarser than
  /// 10 cm is not an MRI/CT model; such values (0, NaN, 0.001) would make resampling empty or
  /// enormous.
  public static let spacingRange = 0.01...100.0

  /// `patch_size`: positive integers whose product is at most `maxPatchVoxels`; `spacing`: finite
  /// and within `spacingRange`. Throws `PlansError.invalidField` naming the field
  /// (`configurations.3d_fullres.patch_size`).
  static func checkGeometry(patchSize: [Int], spacing: [Double], json: JSONValue) throws {
    let patchField = try json.member("patch_size")
    var voxels = 1
    for (axis, size) in patchSize.enumerated() {
      guard size >= 1 else { throw patchField.fail("entry \(axis) is \(size); patch sizes must be positive integers") }
      let (product, overflow) = voxels.multipliedReportingOverflow(by: size)
      guard !overflow, product <= maxPatchVoxels else {
        throw patchField.fail("\(patchSize) holds more than \(maxPatchVoxels) voxels (2^24, 256^3)")
      }
      voxels = product
    }
    let spacingField = try json.member("spacing")
    for (axis, value) in spacing.enumerated() where !(value.isFinite && spacingRange.contains(value)) {
      throw spacingField.fail("entry \(axis) is \(value) mm; target spacings must lie in 0.01...100 mm")
    }
  }
}
