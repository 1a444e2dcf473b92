env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me '--Format=JobArrayID:|,Bogus:|,State:|'

# captured: 2026-12-04T14:48:33Z
# exit code: 0
# took: 321 ms
# slurm: slurm-wlm 24.11.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2411
