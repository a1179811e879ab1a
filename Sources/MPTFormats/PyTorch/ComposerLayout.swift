import MPTCore

/// Recognizes a Composer checkpoint (what llm-foundry training writes with `torch.save`):
/// `{"state": {"model": <state dict>, "optimizers": …, "timestamp": …, "integrations": …}, "rng": [...]}`.
/// Only the weights under `state.model` are read; the rest is inert data.
struct ComposerLayout {
    /// `state.model`: the model's state dict (HF names under a `model.` prefix).
    let model: PickleValue
    /// `state.integrations.huggingface.model.config.content`, the HF config Composer stores.
    let embeddedConfig: PickleValue?

    /// Keys of `state` that Composer always writes next to `model` (any one identifies the layout,
    /// so a plain `{"state": {"model": …}}` dict is not taken for one by accident).
    private static let stateMarkers = ["optimizers", "timestamp", "rank_zero_seed", "schedulers", "integrations"]

    /// The layout of `result`, or `nil` when it is not a Composer checkpoint.
    init?(_ result: PickleResult) {
        guard let state = Self.value(result, result.root, "state"),
              let model = Self.value(result, state, "model"),
              case .dict? = result.object(model),
              case let .dict(stateEntries)? = result.object(state),
              Self.stateMarkers.contains(where: { stateEntries[.string($0)] != nil })
        else { return nil }
        self.model = model
        var config: PickleValue? = state
        for key in ["integrations", "huggingface", "model", "config", "content"] {
            config = config.flatMap { Self.value(result, $0, key) }
        }
        self.embeddedConfig = config
    }

    private static func value(_ result: PickleResult, _ container: PickleValue, _ key: String) -> PickleValue? {
        guard case let .dict(dictionary)? = result.object(container) else { return nil }
        return dictionary[.string(key)]
    }
}
