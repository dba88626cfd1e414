import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A tiny HTTP/1.1 file server on 127.0.0.1 (an ephemeral port) for download tests: POSIX
/// sockets, one thread per connection, `Connection: close` after every response. It honours
/// `Range: bytes=N-` / `bytes=N-M` (206 + `Content-Range`, 416 past the end), sends a strong
/// `ETag`, and can misbehave on purpose (`Fault`) for the first `count` requests of a path.
/// Every request is recorded (`requests`), so tests can assert what the client sent.
public final class LoopbackHTTPServer: @unchecked Sendable {
  public enum Fault: Sendable, Equatable {
    /// Serve normally.
    case none
    /// Send the headers and N body bytes, then close the connection.
    case dropAfter(Int)
    /// Send the headers and N body bytes, then send nothing more (the connection stays open
    /// until the client gives up or the server stops).
    case stallAfter(Int)
    /// Announce the full length but end the body at absolute file offset N, then close.
    case truncateAt(Int)
    /// Serve the right length with one byte changed (in the middle of the file).
    case wrongBytes
    /// 404 Not Found.
    case notFound
    /// Send at most this many body bytes per second (in ~50 ms slices).
    case throttle(bytesPerSecond: Int)
    /// Answer a `Range` request with the whole file and status 200.
    case ignoreRange
    /// `302 Found` to another path of this server (GitHub sends release downloads to a CDN).
    case redirect(to: String)
  }

  public struct Request: Sendable {
    public var method: String
    public var path: String
    /// Header names lowercased.
    public var headers: [String: String]
  }

  private struct Route {
    var body: [UInt8]
    var fault: Fault
    var faultCount: Int
  }

  private let listener: Int32
  public let port: Int
  private let lock = NSLock()
  private var routes: [String: Route] = [:]
  private var recorded: [Request] = []
  private var stopped = false

  /// `http://127.0.0.1:PORT`.
  public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

  public init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXFailure("socket", errno) }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 64) == 0 else {
      let err = errno
      close(fd)
      throw POSIXFailure("bind/listen", err)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    listener = fd
    port = Int(UInt16(bigEndian: address.sin_port))
    let thread = Thread { [self] in acceptLoop() }
    thread.start()
  }

  deinit { stop() }

  /// Serves `file`'s bytes at `path` (e.g. `/100.zip`); `fault` applies to the first `count`
  /// requests of that path, later ones are served normally.
  public func serve(_ path: String, file: URL, fault: Fault = .none, count: Int = .max) throws {
    let bytes = [UInt8](try Data(contentsOf: file))
    serve(path, bytes: bytes, fault: fault, count: count)
  }

  public func serve(_ path: String, bytes: [UInt8], fault: Fault = .none, count: Int = .max) {
    lock.lock()
    routes[path] = Route(body: bytes, fault: fault, faultCount: count)
    lock.unlock()
  }

  /// Changes the fault of an existing route.
  public func setFault(_ path: String, _ fault: Fault, count: Int = .max) {
    lock.lock()
    routes[path]?.fault = fault
    routes[path]?.faultCount = count
    lock.unlock()
  }

  /// Requests received so far, in arrival order.
  public var requests: [Request] {
    lock.lock()
    defer { lock.unlock() }
    return recorded
  }

  public func requests(for path: String) -> [Request] { requests.filter { $0.path == path } }

  /// Stops accepting and ends stalled connections.
  public func stop() {
    lock.lock()
    let wasStopped = stopped
    stopped = true
    lock.unlock()
    if !wasStopped {
      shutdown(listener, Int32(SHUT_RDWR))
      close(listener)
    }
  }

  private var isStopped: Bool {
    lock.lock()
    defer { lock.unlock() }
    return stopped
  }

  private func acceptLoop() {
    while !isStopped {
      let client = accept(listener, nil, nil)
      if client < 0 {
        if errno == EINTR { continue }
        return
      }
      let thread = Thread { [self] in
        handle(client)
        close(client)
      }
      thread.start()
    }
  }

  private func handle(_ fd: Int32) {
    guard let (method, path, headers) = readRequest(fd) else { return }
    lock.lock()
    recorded.append(Request(method: method, path: path, headers: headers))
    var route = routes[path]
    var fault = Fault.none
    if var current = route, current.faultCount > 0 {
      fault = current.fault
      current.faultCount -= 1
      routes[path] = current
      route = current
    }
    lock.unlock()

    guard let route, fault != .notFound else {
      _ = sendAll(fd, Array("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found".utf8))
      return
    }
    if case .redirect(let target) = fault {
      let response =
        "HTTP/1.1 302 Found\r\nLocation: \(baseURL.absoluteString)\(target)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
      _ = sendAll(fd, Array(response.utf8))
      return
    }
    var body = route.body
    if fault == .wrongBytes, !body.isEmpty { body[body.count / 2] ^= 0x5A }
    let size = body.count
    let etag = "\"v1-\(size)\""
    var first = 0
    var last = size - 1
    var status = "200 OK"
    var extra = ""
    if let range = headers["range"], fault != .ignoreRange,
      headers["if-range"].map({ $0 == etag }) ?? true
    {
      let spec = range.replacingOccurrences(of: "bytes=", with: "")
      let ends = spec.split(separator: "-", omittingEmptySubsequences: false)
      if ends.count == 2, let a = Int(ends[0]) {
        if a >= size {
          _ = sendAll(
            fd,
            Array(
              "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(size)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .utf8))
          return
        }
        first = a
        if let b = Int(ends[1]) { last = min(b, size - 1) }
        status = "206 Partial Content"
        extra = "Content-Range: bytes \(first)-\(last)/\(size)\r\n"
      }
    }
    let length = max(last - first + 1, 0)
    let head =
      "HTTP/1.1 \(status)\r\nContent-Type: application/zip\r\nContent-Length: \(length)\r\nAccept-Ranges: bytes\r\nETag: \(etag)\r\n\(extra)Connection: close\r\n\r\n"
    guard sendAll(fd, Array(head.utf8)), method != "HEAD" else { return }

    var end = first + length
    switch fault {
    case .dropAfter(let n): end = min(end, first + n)
    case .stallAfter(let n): end = min(end, first + n)
    case .truncateAt(let n): end = min(end, max(n, first))
    default: break
    }
    var at = first
    let slice: Int
    var pause = 0.0
    if case .throttle(let rate) = fault {
      slice = max(rate / 20, 1)
      pause = 0.05
    } else {
      slice = 64 << 10
    }
    while at < end {
      if isStopped { return }
      let count = min(slice, end - at)
      guard sendAll(fd, Array(body[at..<(at + count)])) else { return }
      at += count
      if pause > 0 { Thread.sleep(forTimeInterval: pause) }
    }
    if case .stallAfter = fault {
      // Keep the connection open, sending nothing, until the peer closes or the server stops.
      var byte: UInt8 = 0
      while !isStopped {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 50) > 0 {
          if recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0 { return }
        }
      }
    }
  }

  private func readRequest(_ fd: Int32) -> (String, String, [String: String])? {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let terminator: [UInt8] = [13, 10, 13, 10]
    while data.count < 64 << 10 {
      let n = recv(fd, &buffer, buffer.count, 0)
      if n <= 0 { return nil }
      data.append(contentsOf: buffer[0..<n])
      if data.count >= 4, (0...(data.count - 4)).contains(where: { Array(data[$0..<($0 + 4)]) == terminator }) {
        break
      }
    }
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.components(separatedBy: "\r\n")
    let parts = lines.first?.split(separator: " ") ?? []
    guard parts.count >= 2 else { return nil }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return (String(parts[0]), String(parts[1]), headers)
  }

  private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeBytes { raw in
        send(fd, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
      }
      if n < 0 {
        if errno == EINTR { continue }
        return false
      }
      done += n
    }
    return true
  }
}

public struct POSIXFailure: Error, CustomStringConvertible {
  public var description: String
  init(_ call: String, _ code: Int32) { description = "\(call): \(String(cString: strerror(code)))" }
}
