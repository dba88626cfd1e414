import Foundation

/// ITK-SNAP's label description file (`labels.txt`, loaded with `itksnap -l` or the label
/// editor's import): `#` comment lines, then one line per label
///
///     IDX  R G B  A  VIS MSH  "LABEL"
///
/// index, colour 0-255, opacity 0.00-1.00, visibility 0/1, mesh visibility 0/1, quoted name; line 0
/// is `0 0 0 0 0 0 0 "Clear Label"` (training.md §6.3). Colours are `vibeseg preview`'s and the
/// DICOM-SEG's (`LabelColorTable`); the ignore label (`StatisticsLabelRegistry.ignoreLabel`) is
/// mid grey, half opaque and visible, so reviewers can paint "do not learn here".
public enum ITKSnapLabelFile {
  public struct Entry: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var color: RGBColor
    public var opacity: Double
    public var visible: Bool
    public var meshVisible: Bool

    public init(id: Int, name: String, color: RGBColor, opacity: Double, visible: Bool, meshVisible: Bool) {
      self.id = id
      self.name = name
      self.color = color
      self.opacity = opacity
      self.visible = visible
      self.meshVisible = meshVisible
    }
  }

  /// Names become ITK-SNAP's descriptions; a double quote in a name is dropped (the format has no escape).
  public static func entries(names: [Int: String], ignore: Int?) -> [Entry] {
    var entries = [Entry(id: 0, name: "Clear Label", color: RGBColor(gray: 0), opacity: 0, visible: false, meshVisible: false)]
    for (id, name) in names.sorted(by: { $0.key < $1.key }) where id > 0 && id != ignore {
      entries.append(
        Entry(id: id, name: name.replacingOccurrences(of: "\"", with: ""), color: LabelColorTable.color(for: id), opacity: 1,
          visible: true, meshVisible: true))
    }
    if let ignore {
      entries.append(Entry(id: ignore, name: "ignore", color: RGBColor(gray: 128), opacity: 0.5, visible: true, meshVisible: false))
    }
    return entries
  }

  public static func text(_ entries: [Entry]) -> String {
    var lines = [
      "################################################",
      "# ITK-SnAP Label Description File (written by vibeseg \(VibeSegVersion.string))",
      "# File format:",
      "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL",
      "# Fields:",
      "#    IDX:   Zero-based index",
      "#    -R-:   Red color component (0..255)",
      "#    -G-:   Green color component (0..255)",
      "#    -B-:   Blue color component (0..255)",
      "#    -A-:   Label transparency (0.00 .. 1.00)",
      "#    VIS:   Label visibility (0 or 1)",
      "#    MSH:   Label mesh visibility (0 or 1)",
      "#  LABEL:   Label description",
      "################################################",
    ]
    for e in entries {
      func pad(_ value: Int, _ width: Int) -> String { String(repeating: " ", count: max(0, width - "\(value)".count)) + "\(value)" }
      lines.append(
        "\(pad(e.id, 5)) \(pad(Int(e.color.red), 5)) \(pad(Int(e.color.green), 4)) \(pad(Int(e.color.blue), 4))"
          + "  \(String(format: "%7.2f", e.opacity))  \(e.visible ? 1 : 0)  \(e.meshVisible ? 1 : 0)    \"\(e.name)\"")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Reads a label description file (ours or ITK-SNAP's own export): ids and names.
  ///
  /// - Throws: `VibeSegKitError.invalidLabelFile` naming the line that is not
  ///   `IDX R G B A VIS MSH "LABEL"`.
  public static func parse(_ text: String, path: String) throws(VibeSegKitError) -> [Entry] {
    var entries: [Entry] = []
    for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      guard let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close else {
        throw VibeSegKitError(.invalidLabelFile, "line \(n + 1): no quoted label name", path: path)
      }
      let fields = line[..<open].split(whereSeparator: \.isWhitespace)
      guard fields.count == 7, let id = Int(fields[0]), id >= 0,
        let r = UInt8(fields[1]), let g = UInt8(fields[2]), let b = UInt8(fields[3]), let a = Double(fields[4]),
        (0...1).contains(a), let vis = Int(fields[5]), let msh = Int(fields[6])
      else {
        throw VibeSegKitError(.invalidLabelFile, "line \(n + 1): expected IDX R G B A VIS MSH \"LABEL\"", path: path)
      }
      entries.append(
        Entry(id: id, name: String(line[line.index(after: open)..<close]), color: RGBColor(red: r, green: g, blue: b),
          opacity: a, visible: vis != 0, meshVisible: msh != 0))
    }
    return entries
  }
}
