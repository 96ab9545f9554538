import Foundation
import ParleyCore

/// Video and audio through `ffprobe` and `ffmpeg` (Debian `ffmpeg`): the duration and the
/// picture size, and a poster frame for video. The demuxer is fixed by the sniffed type and
/// only local files may be opened, so no upload can make ffmpeg read another file or a URL
/// (a playlist posing as a video).
struct FFmpegMedia: Sendable {
    let ffprobe: String
    let ffmpeg: String

    init?() {
        guard let probe = BoundedProcess.locate("ffprobe"), let ffmpeg = BoundedProcess.locate("ffmpeg") else { return nil }
        self.ffprobe = probe
        self.ffmpeg = ffmpeg
    }

    /// The demuxer for each type Parley takes as video or audio.
    static func demuxer(for mimeType: String) -> String? {
        switch mimeType {
        case "video/mp4", "video/quicktime", "video/3gpp", "audio/mp4": "mov"
        case "video/webm", "audio/webm": "matroska"
        case "audio/mpeg": "mp3"
        case "audio/aac": "aac"
        case "audio/ogg": "ogg"
        case "audio/wav": "wav"
        case "audio/flac": "flac"
        case "audio/amr": "amr"
        default: nil
        }
    }

    static let inputOptions = ["-protocol_whitelist", "file"]

    func process(_ path: String, as type: MediaType, in directory: String, limits: MediaLimits) async throws -> ProcessedMedia {
        guard let demuxer = Self.demuxer(for: type.mimeType) else { return ProcessedMedia(mimeType: type.mimeType) }
        let probe = try await BoundedProcess.run(
            ffprobe,
            ["-v", "error"] + Self.inputOptions + ["-f", demuxer, "-show_entries", "format=duration:stream=codec_type,width,height:stream_tags=rotate:stream_side_data=rotation",
             "-of", "json", "file:" + path],
            timeout: limits.processingTimeoutSeconds)
        guard probe.status == 0, let facts = Self.facts(probe.output) else {
            throw ChatError(.unsupportedMediaType, "the \(type.mimeType) file could not be read")
        }
        var result = ProcessedMedia(mimeType: type.mimeType, durationMs: facts.durationMs)
        guard type.kind == .video, let width = facts.width, let height = facts.height, width > 0, height > 0 else { return result }
        if max(Int64(width) * Int64(height), facts.largestPixels) > limits.maxPixels {
            throw ChatError(.tooLarge, "the video is \(width)×\(height) pixels; at most \(limits.maxPixels) are decoded")
        }
        result.width = width
        result.height = height
        let poster = "\(directory)/poster.jpg"
        let frame = try await BoundedProcess.run(
            ffmpeg,
            ["-v", "error", "-nostdin", "-y"] + Self.inputOptions
                + ["-threads", "1", "-max_pixels", String(limits.maxPixels), "-f", demuxer, "-i", "file:" + path,
                   "-map", "0:v:0", "-frames:v", "1",
                   "-vf", "scale=w='min(320,iw)':h='min(320,ih)':force_original_aspect_ratio=decrease", "-q:v", "4", poster],
            timeout: limits.processingTimeoutSeconds)
        // A video without a decodable first frame is still a video; it just has no poster.
        if frame.status == 0, FileManager.default.fileExists(atPath: poster) {
            let scale = min(1, 320 / Double(max(width, height)))
            result.thumbnail = DerivedFile(
                path: poster, mimeType: "image/jpeg", width: max(1, Int((Double(width) * scale).rounded())),
                height: max(1, Int((Double(height) * scale).rounded())))
        }
        return result
    }

    struct Facts {
        var durationMs: Int64?
        var width: Int?
        var height: Int?
        var largestPixels: Int64 = 0
    }

    /// What `ffprobe -of json` said: the container's duration and the first video stream's size.
    static func facts(_ json: String) -> Facts? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        var facts = Facts()
        if let format = object["format"] as? [String: Any], let text = format["duration"] as? String, let seconds = Double(text),
            seconds.isFinite, seconds >= 0
        {
            facts.durationMs = Int64((seconds * 1000).rounded())
        }
        let streams = object["streams"] as? [[String: Any]] ?? []
        let videos = streams.filter { $0["codec_type"] as? String == "video" }
        if let video = videos.first {
            facts.width = video["width"] as? Int
            facts.height = video["height"] as? Int
            // A phone's portrait video is stored landscape with a rotation to apply (ffmpeg
            // applies it to the poster): the size shown is the turned one.
            let sideRotation = (video["side_data_list"] as? [[String: Any]])?.compactMap { $0["rotation"] as? Int }.first
            let tagRotation = ((video["tags"] as? [String: Any])?["rotate"] as? String).flatMap { Int($0) }
            if let rotation = sideRotation ?? tagRotation, abs(rotation) % 180 == 90 {
                (facts.width, facts.height) = (facts.height, facts.width)
            }
        }
        // The pixel limit holds for every picture in the file, not the first one listed.
        facts.largestPixels = videos.map { Int64($0["width"] as? Int ?? 0) * Int64($0["height"] as? Int ?? 0) }.max() ?? 0
        if streams.isEmpty { return nil }
        return facts
    }
}
