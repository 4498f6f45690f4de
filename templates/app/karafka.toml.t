# karafka-rs settings of {{ name }}. Every key is optional; KARAFKA_ENV,
# KARAFKA_BROKERS and KARAFKA_CLIENT_ID override the file.
client_id = "{{ name }}"
environment = "development"
# No brokers in development: `cargo karafka server` starts the embedded broker.
brokers = []
backend = "worker_pool"
concurrency = 5
max_messages = 100
shutdown_timeout = 30000

[kafka]
# Passed straight to librdkafka.
"session.timeout.ms" = 6000
