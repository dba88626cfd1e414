import Foundation
import NiftiIO
import Testing
import _TestSupport

/// `OutputTransaction` in-process: the preflight's refusals and a commit that loses a race
/// half-way (its own publications undone, the other run's file untouched).
@Suite("OutputTransaction")
struct OutputTransactionTests {
  func bytes(_ url: URL) throws -> String { String(decoding: try Data(contentsOf: url), as: UTF8.self) }

  @Test("a commit that finds its second output taken undoes its first and leaves the other run's file")
  func lostRaceRollsBack() throws {
    let dir = try Fixtures.temporaryDirectory()
    let a = dir.appendingPathComponent("a.nii.gz"), b = dir.appendingPathComponent("a.json")
    let outputs = try OutputTransaction(outputs: [a, b], overwrite: false)
    try outputs.write(Array("ours a".utf8), to: a)
    try outputs.write(Array("ours b".utf8), to: b)
    try Data("theirs".utf8).write(to: b)  // another run published b meanwhile
    #expect(throws: NiftiError.self) { try outputs.commit() }
    #expect(!FileManager.default.fileExists(atPath: a.path), "our first output stayed published")
    #expect(try bytes(b) == "theirs")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.json"])
  }

  @Test("preflight: existing output, output named twice, missing folder; an uncommitted transaction leaves nothing")
  func preflight() throws {
    let dir = try Fixtures.temporaryDirectory()
    let a = dir.appendingPathComponent("a.nii")
    try Data("old".utf8).write(to: a)
    #expect(throws: NiftiError.self) { try OutputTransaction(outputs: [a], overwrite: false) }
    let b = dir.appendingPathComponent("b.nii")
    #expect(throws: NiftiError.self) { try OutputTransaction(outputs: [b, b], overwrite: true) }
    #expect(throws: NiftiError.self) {
      try OutputTransaction(outputs: [dir.appendingPathComponent("missing/c.nii")], overwrite: true)
    }
    do {
      let outputs = try OutputTransaction(outputs: [a, b], overwrite: true)
      try outputs.write(Array("new".utf8), to: a)
      try outputs.write(Array("new".utf8), to: b)
    }  // released without commit
    #expect(try bytes(a) == "old")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.nii"])
  }

  @Test("with overwrite, a set of outputs replaces the old set; a single output is renamed over the old")
  func overwriteReplaces() throws {
    let dir = try Fixtures.temporaryDirectory()
    let a = dir.appendingPathComponent("a.nii"), b = dir.appendingPathComponent("a.json")
    for url in [a, b] { try Data("old".utf8).write(to: url) }
    let outputs = try OutputTransaction(outputs: [a, b], overwrite: true)
    try outputs.write(Array("new a".utf8), to: a)
    try outputs.write(Array("new b".utf8), to: b)
    try outputs.commit()
    #expect(try bytes(a) == "new a" && bytes(b) == "new b")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.json", "a.nii"])
  }
}
