env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me '--Format=JobArrayID:|,Bogus:|,State:|'

# captured: 2026-12-04T14:48:34Z
# exit code: 0
# took: 553 ms
# slurm: slurm-wlm 26.05.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2605
