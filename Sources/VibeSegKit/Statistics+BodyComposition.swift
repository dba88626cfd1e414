import VolumeCore

extension SegmentationStatistics {
  /// Body composition, or nil when the label table names no tissue label present in the map.
  ///
  /// - Tissues: labels whose names `StatisticsLabelRegistry.tissue(ofLabelNamed:)` assigns
  ///   (TotalVibeSegmentator: 65 subcutaneous_fat, 67 inner_fat, 66 muscle plus 53-62 gluteal,
  ///   autochthon and iliopsoas muscles). Volumes in ml (count · |det A| / 1000).
  /// - Levels: vertebrae from `spine` (VerSe ids, `vertebraName(spineLabel:)`) or else from the
  ///   segmentation's own `vertebrae_*` labels. A vertebra's level is the slab of world z (RAS+
  ///   superior, mm) between its lowest and highest voxel centre; a tissue voxel belongs to every
  ///   level whose slab holds its centre's z (inclusive), so neighbouring slabs may share the
  ///   voxels of one axial slice. The L3 level is the standard sarcopenia biomarker.
  ///
  /// O(voxels) for the totals, plus O(tissue voxels · levels) for the levels.
  static func bodyComposition(labels: Volume<UInt16>, counts: [Int], spine: Volume<UInt16>?,
    registry: StatisticsLabelRegistry) -> BodyComposition? {
    typealias Tissue = StatisticsLabelRegistry.Tissue
    var tissueOf = [Tissue?](repeating: nil, count: counts.count)
    var members = [String: [Int]]()
    for id in counts.indices where id > 0 && counts[id] > 0 {
      if let t = StatisticsLabelRegistry.tissue(ofLabelNamed: registry.name(of: id)) {
        tissueOf[id] = t
        members[t.rawValue, default: []].append(id)
      }
    }
    guard !members.isEmpty else { return nil }
    let ml = labels.grid.voxelVolumeCubicMillimeters / 1000
    var total = TissueVolumes()
    for id in counts.indices { if let t = tissueOf[id] { total[t] += Double(counts[id]) * ml } }

    // Vertebra slabs.
    var levelNames = [Int: String]()
    let levelMap: Volume<UInt16>
    let source: String?
    if let spine {
      levelMap = spine
      source = "spine map"
      for id in 1...28 { if let n = StatisticsLabelRegistry.vertebraName(spineLabel: id) { levelNames[id] = n } }
    } else {
      levelMap = labels
      for id in counts.indices where id > 0 && counts[id] > 0 {
        if let n = StatisticsLabelRegistry.vertebraName(labelNamed: registry.name(of: id)) { levelNames[id] = n }
      }
      source = levelNames.isEmpty ? nil : "segmentation labels"
    }
    var ranges = [Int: (lo: Double, hi: Double)]()
    if !levelNames.isEmpty {
      forEachVoxel(levelMap) { l, z in
        guard levelNames[l] != nil else { return }
        let r = ranges[l] ?? (.infinity, -.infinity)
        ranges[l] = (min(r.lo, z), max(r.hi, z))
      }
    }
    let slabs = ranges.sorted { $0.value.hi > $1.value.hi }.map { (name: levelNames[$0.key]!, lo: $0.value.lo, hi: $0.value.hi) }
    var perLevel = [TissueVolumes](repeating: TissueVolumes(), count: slabs.count)
    if !slabs.isEmpty {
      var counted = [[Int]](repeating: [0, 0, 0], count: slabs.count)
      let tissueIndex: [Tissue: Int] = [.subcutaneousFat: 0, .innerFat: 1, .skeletalMuscle: 2]
      forEachVoxel(labels) { l, z in
        guard l < tissueOf.count, let t = tissueOf[l] else { return }
        for s in slabs.indices where z >= slabs[s].lo && z <= slabs[s].hi { counted[s][tissueIndex[t]!] += 1 }
      }
      for s in slabs.indices {
        for (t, x) in tissueIndex { perLevel[s][t] = Double(counted[s][x]) * ml }
      }
    }
    return BodyComposition(labels: members, total: total,
      levels: slabs.indices.map { VertebralLevel(name: slabs[$0].name, inferiorMillimeters: slabs[$0].lo,
        superiorMillimeters: slabs[$0].hi, volumes: perLevel[$0]) },
      levelSource: slabs.isEmpty ? nil : source)
  }

  /// Calls `body(label, worldZ)` for every nonzero voxel (world z of its centre, mm).
  static func forEachVoxel(_ volume: Volume<UInt16>, _ body: (Int, Double) -> Void) {
    let a = volume.grid.affine
    let ni = volume.shape[0], nj = volume.shape[1], nk = volume.shape[2]
    volume.voxels.withUnsafeBufferPointer { v in
      var index = 0
      for k in 0..<nk {
        for j in 0..<nj {
          let base = a[2, 1] * Double(j) + a[2, 2] * Double(k) + a[2, 3]
          for i in 0..<ni {
            let l = Int(v[index])
            if l != 0 { body(l, a[2, 0] * Double(i) + base) }
            index += 1
          }
        }
      }
    }
  }
}
