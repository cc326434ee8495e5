import Foundation

/// How ``Trainer/fit(_:validation:epochs:batchSize:shuffle:augmentation:callbacks:progress:)`` reports.
public enum ProgressStyle: String, Sendable, Hashable, Codable {
  /// A live bar when standard output is a terminal, plain lines otherwise.
  case automatic
  /// A live bar redrawn in place (batches, samples/s, loss, ETA), then the epoch's line.
  case bar
  /// One line per epoch.
  case lines
  /// Nothing.
  case silent

  /// `.bar` or `.lines` for `.automatic`, by whether standard output is a terminal.
  var resolved: ProgressStyle {
    guard self == .automatic else { return self }
    return isatty(STDOUT_FILENO) == 1 ? .bar : .lines
  }
}

/// Prints the progress of one `fit`. The bar asks for the running loss at most four times a
/// second, the only reads from the device it adds.
final class ProgressPrinter {
  let style: ProgressStyle
  let epochs: Int
  let batches: Int
  private var epochStart = Date()
  private var lastDraw = Date.distantPast

  init(style: ProgressStyle, epochs: Int, batches: Int) {
    self.style = style.resolved
    self.epochs = epochs
    self.batches = batches
  }

  func startEpoch() {
    epochStart = Date()
    lastDraw = .distantPast
  }

  /// Whether the bar wants a redraw now (so the caller reads the loss only then).
  var wantsUpdate: Bool { style == .bar && Date().timeIntervalSince(lastDraw) >= 0.25 }

  func update(epoch: Int, batch: Int, samples: Int, loss: Double) {
    lastDraw = Date()
    let elapsed = lastDraw.timeIntervalSince(epochStart)
    let width = 24, filled = batches > 0 ? width * batch / batches : width
    let bar =
      String(repeating: "=", count: filled)
      + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
    let eta = batch > 0 ? elapsed / Double(batch) * Double(batches - batch) : 0
    let line =
      "epoch \(epoch)/\(epochs) [\(bar)] \(batch)/\(batches)  "
      + String(format: "%.0f samples/s  loss %.4f  ETA %.0fs", Double(samples) / max(elapsed, 1e-9), loss, eta)
    print("\r\u{1B}[2K" + line, terminator: "")
    fflush(nil)
  }

  func finish(_ record: EpochRecord) {
    guard style != .silent else { return }
    var parts = [String(format: "epoch %d/%d  loss %.4f", record.epoch, epochs, record.loss)]
    parts += record.metrics.sorted { $0.key < $1.key }.map { "\($0.key) " + String(format: "%.4f", $0.value) }
    if let loss = record.validationLoss { parts.append(String(format: "validation loss %.4f", loss)) }
    parts += record.validationMetrics.sorted { $0.key < $1.key }.map {
      "validation \($0.key) " + String(format: "%.4f", $0.value)
    }
    parts.append(String(format: "lr %.3g  %.1fs", record.learningRate, record.seconds))
    print((style == .bar ? "\r\u{1B}[2K" : "") + parts.joined(separator: "  "))
    fflush(nil)
  }

  func note(_ message: String) {
    guard style != .silent else { return }
    print((style == .bar ? "\r\u{1B}[2K" : "") + message)
  }
}
