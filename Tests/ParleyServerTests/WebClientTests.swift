import Foundation
import NIOCore
@testable import ParleyServer
import ParleyWeb
import Testing

@Suite("The browser client: built-in files, versions, paths")
struct WebClientTests {
    /// `Sources/ParleyWeb/App`, found from this file's place in the repository.
    static let appFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/ParleyWeb/App")

    @Test func everyFileOfTheClientIsBuiltIn() throws {
        let onDisk = try WebClient.read(directory: Self.appFolder)
        let builtIn = try WebClient(files: WebClientFiles.all)
        #expect(Set(builtIn.assets.keys) == Set(onDisk.assets.keys), "list new files in WebClientFiles.all")
        // The same bytes, hence the same version: the release binary serves what is in the tree.
        #expect(builtIn.version == onDisk.version)
        let names = (onDisk.assets.keys + ["index.html"]).map { $0.split(separator: "/").last! }
        #expect(Set(names).count == names.count, "SwiftPM embeds files by base name: keep them unique")
    }

    @Test func thePageNamesItsAssetsByVersion() throws {
        let client = try WebClient(files: [
            "index.html": Array(#"<link href="/assets/styles.css"><script src="/assets/app.js"></script>"#.utf8),
            "app.js": Array("import './views/chat.js'".utf8), "views/chat.js": [], "styles.css": [],
        ])
        let page = String(buffer: client.page.bytes)
        #expect(page == #"<link href="/assets/\#(client.version)/styles.css"><script src="/assets/\#(client.version)/app.js"></script>"#)
        #expect(client.version.count == 16)
        #expect(client.assets["views/chat.js"]?.contentType == "text/javascript; charset=utf-8")
        #expect(client.assets["styles.css"]?.contentType == "text/css; charset=utf-8")
        #expect(client.assets["index.html"] == nil)
    }

    @Test func anyChangedByteOrPathIsANewVersion() throws {
        let page = Array("<html>".utf8)
        let a = try WebClient(files: ["index.html": page, "app.js": Array("1".utf8)])
        let b = try WebClient(files: ["index.html": page, "app.js": Array("2".utf8)])
        let c = try WebClient(files: ["index.html": page, "app2.js": Array("1".utf8)])
        // A byte moved from a path into the content is still another set of files.
        let d = try WebClient(files: ["index.html": page, "app.j": Array("s1".utf8)])
        #expect(Set([a.version, b.version, c.version, d.version]).count == 4)
        #expect(try WebClient(files: ["index.html": page, "app.js": Array("1".utf8)]).version == a.version)
        #expect(throws: WebClientError.self) { try WebClient(files: ["app.js": []]) }
    }

    @Test func aFolderGivesItsFilesByRelativePathWithoutHiddenOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("views"), withIntermediateDirectories: true)
        try Data("<html>".utf8).write(to: folder.appendingPathComponent("index.html"))
        try Data("x".utf8).write(to: folder.appendingPathComponent("views/chat.js"))
        try Data("secret".utf8).write(to: folder.appendingPathComponent(".env"))
        let client = try WebClient.read(directory: folder)
        #expect(Set(client.assets.keys) == ["views/chat.js"])
    }

    @Test func gzipIsSentOnlyToThoseWhoTakeIt() throws {
        #expect(Gzip.isAccepted(by: "gzip, deflate, br"))
        #expect(Gzip.isAccepted(by: "br;q=1.0, GZIP;q=0.5"))
        #expect(Gzip.isAccepted(by: "*"))
        #expect(!Gzip.isAccepted(by: "gzip;q=0"))
        #expect(!Gzip.isAccepted(by: "gzip;q=0, *"))
        #expect(!Gzip.isAccepted(by: "identity"))
        #expect(!Gzip.isAccepted(by: nil))
        let text = Array(String(repeating: "export const message = 'hello';\n", count: 200).utf8)
        let client = try WebClient(files: ["index.html": Array("<html>".utf8), "app.js": text])
        let zipped = try #require(client.assets["app.js"]?.gzipped)
        #expect(zipped.getBytes(at: 0, length: 2) == [0x1f, 0x8b])
        #expect(zipped.readableBytes < text.count / 10)
        // Six bytes would grow: no copy is kept.
        #expect(client.page.gzipped == nil)
        #expect(try WebClient(files: ["index.html": [], "app.js": text], compressed: false).assets["app.js"]?.gzipped == nil)
    }

    @Test func thePolicyAllowsNoInlineCodeAndNoOtherOrigin() {
        let policy = WebClientRoutes.contentSecurityPolicy
        #expect(policy.contains("script-src 'self'"))
        #expect(!policy.contains("unsafe"))
        #expect(policy.contains("frame-ancestors 'none'"))
        #expect(!policy.contains("*"))
    }
}
