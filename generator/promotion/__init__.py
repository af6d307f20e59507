"""Per-environment versions: the table of `generator versions`, the strict promotion policy and
`generator promote`, which writes one environment's pinned versions into the next one's file."""
