"""Statistics of resolved cases: aggregation, published snapshots, public pages,
open-data exports, and the officers' live dashboards."""
