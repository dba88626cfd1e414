import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  let state: TransferState

  init(state: TransferState) { self.state = state }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
  ) {
    completionHandler(state.accept(response) ? .allow : .cancel)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    if !state.append(data) { dataTask.cancel() }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
    state.finish(error: error)
  }
}
