/// Per-module rank, alpha and merge scale, as peft resolves them.
extension LoRAAdapterConfig {
    /// The rank peft gives `module`: the first `rank_pattern` key that matches it, else `r`.
    public func rank(forModule module: String) throws -> Int {
        for entry in rankPattern where try Self.patternMatches(entry.pattern, module: module, key: "rank_pattern") {
            return entry.rank
        }
        return rank
    }

    /// The alpha peft gives `module`: the first `alpha_pattern` key that matches it, else `lora_alpha`.
    public func alpha(forModule module: String) throws -> Double {
        for entry in alphaPattern where try Self.patternMatches(entry.pattern, module: module, key: "alpha_pattern") {
            return entry.alpha
        }
        return alpha
    }

    /// The merge scale of `module` with rank `rank`: `alpha / r`, or `alpha / sqrt(r)` with rsLoRA.
    public func scale(forModule module: String, rank: Int) throws -> Double {
        let alpha = try alpha(forModule: module)
        return useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank)
    }

    /// Whether `target_modules` selects `module` (peft's `check_target_module_exists`): a list entry
    /// matches the whole name or its last dotted parts; a string is a regex over the whole name,
    /// except `all-linear`, which selects every linear layer but the output head.
    public func targets(module: String) throws -> Bool {
        switch targetModules {
        case nil: return true
        case let .names(names): return names.contains { module == $0 || module.hasSuffix("." + $0) }
        case let .pattern(pattern):
            if pattern == "all-linear" { return module != "lm_head" }
            let regex = try Self.regex(pattern, key: "target_modules")
            return (try? regex.wholeMatch(in: module)) != nil
        }
    }

    /// peft's `get_pattern_key`: `re.match(rf"(.*\.)?({key})$", module)`.
    static func patternMatches(_ pattern: String, module: String, key: String) throws -> Bool {
        let regex = try regex("(.*\\.)?(" + pattern + ")", key: key + "." + pattern)
        return (try? regex.wholeMatch(in: module)) != nil
    }

    static func regex(_ text: String, key: String) throws -> Regex<AnyRegexOutput> {
        do {
            return try Regex(text)
        } catch {
            throw PeftError.badConfigValue(key: key, problem: "is not a regular expression we can read (\(error))")
        }
    }
}
