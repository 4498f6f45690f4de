# `cargo karafka <command>` runs this app's own binary, whose command line is
# karafka's: `cargo karafka server`, `cargo karafka routes`, ...
[alias]
karafka = "run --"
