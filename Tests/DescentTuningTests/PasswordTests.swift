import Foundation
@testable import DescentTuning
import TestSupport
import Testing

/// A password in a storage URL never reaches a message, however the URL is malformed (issue 31:
/// libpq's parse errors quote the URL or the password).
struct PasswordTests {
  static let password = "s3cr%65t-Pw"  // percent-encoded: "s3cret-Pw" as libpq reads it

  /// The malformed URLs that leaked, and 3 000 seeded mutations of a good one: parsing (never
  /// connecting: a mutated host could be anywhere) either gives the location without the password
  /// or an error whose text holds it neither as written nor decoded.
  @Test func parseErrorsNeverHoldThePassword() throws {
    let base = "postgresql://descent:\(Self.password)@127.0.0.1:5432/studies?sslmode=disable"
    var urls = [
      "postgresql://descent:\(Self.password)%ZZ@localhost/db", "postgresql://descent:\(Self.password)@[/db",
      "postgresql://descent:\(Self.password)@[::1/db", "postgresql://descent:\(Self.password)@host:port/db",
      "postgresql://descent:\(Self.password)@host/db?bogus=1", "host=x password=\(Self.password) port=y",
    ]
    var mutator = Mutator(seed: 31)
    urls += (0..<3_000).map { _ in String(decoding: mutator.mutate(Array(base.utf8), text: true), as: UTF8.self) }
    var errors = 0
    for url in urls {
      // The password, where the URL still gives one (after a colon), as written and decoded.
      let secrets = url.contains(":\(Self.password)") ? [Self.password, "s3cret-Pw"] : []
      let text: String
      do { text = try PostgreSQLConnection.redacted(url) } catch {
        errors += 1
        text = "\(error)"
      }
      #expect(!secrets.contains { text.contains($0) }, "\(url) → \(text)")
    }
    #expect(errors >= 100, "only \(errors) of \(urls.count) URLs failed to parse: the mutations miss the errors")
  }

  @Test func passwordsAreFoundWhereverTheyAre() {
    #expect(ConnectionSecrets.passwords(in: "postgresql://u:p%40ss@h/d?x=1") == ["p%40ss"])
    #expect(ConnectionSecrets.passwords(in: "postgresql://u@h:5432/d") == [])
    #expect(ConnectionSecrets.passwords(in: "postgresql://u:pw") == ["pw"])  // cut before the host
    #expect(ConnectionSecrets.passwords(in: "host=h password=pw dbname=d") == ["pw"])
    #expect(ConnectionSecrets.secrets(of: "postgresql://u:p%40ss@h/d") == ["p%40ss", "p@ss"])
    #expect(
      ConnectionSecrets.scrubbed(#"bad token: "p%40ss%ZZ" near p@ss"#, secretsOf: "postgresql://u:p%40ss@h/d")
        == #"bad token: "…" near …"#)
  }
}
