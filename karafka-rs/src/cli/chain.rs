//! Error chains as printed by an app's `main`: a cause whose words its error
//! already says is left out, so each cause is printed once.

/// `error` with every cause whose text the error before it already contains
/// left out of its chain; `error` itself when nothing repeats.
pub(super) fn without_repeated_causes(error: anyhow::Error) -> anyhow::Error {
    let texts: Vec<String> = error.chain().map(ToString::to_string).collect();
    let kept: Vec<&String> = texts
        .iter()
        .enumerate()
        .filter(|(i, text)| *i == 0 || !texts[i - 1].contains(text.as_str()))
        .map(|(_, text)| text)
        .collect();
    if kept.len() == texts.len() {
        return error;
    }
    let mut kept = kept.into_iter().rev();
    let innermost = kept.next().cloned().unwrap_or_default();
    kept.fold(anyhow::Error::msg(innermost), |chain, outer| {
        chain.context(outer.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("kafka: creating the producer: {source}")]
    struct Repeating {
        source: std::io::Error,
    }

    #[test]
    fn a_cause_its_error_already_says_is_printed_once() {
        let error = anyhow::Error::new(Repeating {
            source: std::io::Error::other("Invalid value for linger.ms"),
        })
        .context("starting the server");
        let chain: Vec<String> = without_repeated_causes(error)
            .chain()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            chain,
            [
                "starting the server",
                "kafka: creating the producer: Invalid value for linger.ms"
            ]
        );
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let error = anyhow::anyhow!("disk full").context("writing the offsets file");
        let chain: Vec<String> = without_repeated_causes(error)
            .chain()
            .map(ToString::to_string)
            .collect();
        assert_eq!(chain, ["writing the offsets file", "disk full"]);
    }
}
