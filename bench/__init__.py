"""The benchmarks of scripts/bench: what the platform costs, as ratios against references measured
next to it (these machines are shared and noisy). ``python -m bench`` runs them; ``bench.core``
holds the configuration and the results, ``bench.harness`` the in-process client and the AWS-call
recorder (shared with the tests), ``bench.fixtures`` the data the phases need, ``bench.phases`` one
module per figure and ``bench.report`` the table."""
