"""The scan engine: what to scan (`request`), its targets, inventory and orchestration, the engine that runs
them (`engine`), worker processes (`workers`), the --state file (`state`) and the scan options (`options`).
Sinks are assembled one layer up, in `scanner.runner`."""
