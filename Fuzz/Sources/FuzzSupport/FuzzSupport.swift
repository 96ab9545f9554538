import CLibFuzzer

/// What libFuzzer calls with each input.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer (flags, corpus, mutation loop) on `callback`; returns only for flags such as
/// `-help=1`, libFuzzer exits the process itself otherwise.
///
/// Why every target defines a `<Module>_main` that calls this, instead of simply letting
/// libFuzzer's own `main` run: SwiftPM (tools version 5.5 and later) compiles an executable
/// target's entry point under the name `<Module>_main` (so tests can link the module) and links
/// the executable with `--defsym main=<Module>_main` (ELF) or `-alias _<Module>_main _main`
/// (Mach-O). A libFuzzer target has no entry point of its own (`-parse-as-library`), so that
/// symbol would be undefined and the link would fail; and the linker's `main` alias takes
/// precedence over the `main` in libclang_rt.fuzzer. Defining `<Module>_main` ourselves and
/// starting libFuzzer from it with `LLVMFuzzerRunDriver` works either way: with the alias,
/// `main` is ours and starts the driver; without it (another build system), libFuzzer's `main`
/// runs and `LLVMFuzzerTestOneInput` is the same function.
public func runLibFuzzer(
    argc: CInt,
    argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: FuzzCallback
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}

/// SplitMix64: a small seeded generator, so the choices a target makes from an input (split
/// points) are a function of that input and a crash replays from its artifact alone.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// FNV-1a of the bytes: the seed derived from an input.
public func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    return hash
}

/// Whether `pattern` occurs in `bytes`, by brute force: the reference `FrameCoder.containsNUL`
/// is compared against.
public func contains(_ pattern: [UInt8], in bytes: [UInt8]) -> Bool {
    guard !pattern.isEmpty else { return true }
    guard bytes.count >= pattern.count else { return false }
    for start in 0...(bytes.count - pattern.count) where bytes[start..<(start + pattern.count)].elementsEqual(pattern) {
        return true
    }
    return false
}

/// The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not
/// count). Meaningful for valid JSON, which is all it is asked about.
///
/// Why the targets ask: Foundation's JSON reader accepts 512 nested levels, its writer refuses a
/// value nested 512 levels deep (it writes at most 511; swift-foundation JSONScanner.swift and
/// JSONWriter.swift), so a value decoded from the deepest accepted input cannot always be
/// encoded again. `FrameCoder.encode` treats an encoding failure as a programming error
/// (`assertionFailure`), so the round-trip checks skip inputs nested deeper than
/// `reencodableDepth`, well clear of both limits.
public func jsonNestingDepth(_ bytes: [UInt8]) -> Int {
    var depth = 0, deepest = 0
    var inString = false, escaped = false
    for byte in bytes {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            depth += 1
            deepest = max(deepest, depth)
        case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
        default: break
        }
    }
    return deepest
}

/// See `jsonNestingDepth`.
public let reencodableDepth = 500
