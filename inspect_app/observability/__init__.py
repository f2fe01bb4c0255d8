"""What operators watch: Prometheus metrics, structured logs, request ids."""
