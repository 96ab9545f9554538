import ArgumentParser
import Foundation

/// `--config file.json`: an object whose keys are the long option names (`"port": 8080`,
/// `"database-url": "postgres://…"`). Flags and environment variables override it.
struct ConfigurationFile {
    private var values: [String: String] = [:]

    static func load(_ path: String?) throws -> ConfigurationFile {
        var file = ConfigurationFile()
        guard let path else { return file }
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw ValidationError("the configuration file \(path) is not a readable JSON object")
        }
        for (key, value) in object {
            switch value {
            case let text as String: file.values[key] = text
            case let flag as Bool: file.values[key] = flag ? "true" : "false"
            case let number as NSNumber: file.values[key] = number.stringValue
            default: throw ValidationError("configuration key '\(key)' must be a string, number or boolean")
            }
        }
        return file
    }

    /// The value for an option named like its environment variable (`DATABASE_URL` ↔ `database-url`).
    func value<T: LosslessStringConvertible>(for name: String) throws -> T? {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
        guard let text = values[key] else { return nil }
        guard let value = T(text) else { throw ValidationError("configuration key '\(key)'='\(text)' is not valid") }
        return value
    }
}
