/// Text to paste into a POSIX shell: words made only of safe characters as they are, any other in
/// single quotes (a quote inside as `'\''`), so names with spaces, quotes, `$` or line breaks
/// reach the command exactly.
enum ShellWords {
  static func quote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
    if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
  }

  /// `words` quoted and joined by spaces.
  static func line(_ words: [String]) -> String { words.map(quote).joined(separator: " ") }
}
