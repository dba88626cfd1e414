import Foundation

/// The cores this process may actually use: the smallest of the online processors, the CPU
/// affinity mask (`taskset`, Slurm's `--cpus-per-task` binding: /proc/self/status) and the
/// cgroup CPU quota (`docker --cpus`, Kubernetes limits: cgroup v2 `cpu.max`, v1
/// `cpu.cfs_quota_us / cpu.cfs_period_us`, rounded up), at least 1. Foundation's
/// `activeProcessorCount` sees none of the last two, so a job limited to 4 of 64 cores would
/// start 64 threads. Every `--threads` default and worker pool uses this; it lives in the base
/// module so that NiftiIO and NNUNetRuntime reach it too.
public enum UsableCores {
  public static let count: Int = compute()

  static func compute() -> Int {
    var cores = ProcessInfo.processInfo.activeProcessorCount
    #if os(Linux)
      if let mask = affinityCount() { cores = min(cores, mask) }
      if let quota = cgroupQuota() { cores = min(cores, quota) }
    #endif
    return max(1, cores)
  }

  #if os(Linux)
    /// The processors in this process's affinity mask (`Cpus_allowed_list` of /proc/self/status,
    /// e.g. `0-3,8`: 5); nil when it cannot be read.
    static func affinityCount() -> Int? {
      guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
      else { return nil }
      return affinityCount(line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces))
    }

    /// The count of a CPU list (`0-3,8`); nil when malformed.
    static func affinityCount(_ list: String) -> Int? {
      var count = 0
      for part in list.split(separator: ",") {
        let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        switch bounds.count {
        case 1: guard bounds[0] != nil else { return nil }; count += 1
        case 2: guard let a = bounds[0], let b = bounds[1], b >= a else { return nil }; count += b - a + 1
        default: return nil
        }
      }
      return count > 0 ? count : nil
    }

    /// The cgroup CPU limit in whole cores (rounded up), nil when there is none.
    static func cgroupQuota() -> Int? {
      func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
      }
      if let text = read("/sys/fs/cgroup/cpu.max") {
        let parts = text.split(separator: " ")
        if parts.count == 2, let quota = Double(parts[0]), let period = Double(parts[1]), quota > 0, period > 0 {
          return Int((quota / period).rounded(.up))
        }
        return nil
      }
      if let quota = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").flatMap(Double.init),
        let period = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us").flatMap(Double.init), quota > 0, period > 0
      {
        return Int((quota / period).rounded(.up))
      }
      return nil
    }
  #endif
}
