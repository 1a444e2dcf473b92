"""Asks autolab's own slurm_monitor functions what they make of each row the C# tests send.

Reads a JSON list of rows on stdin and prints a JSON list of answers. autolab's source must be on
PYTHONPATH (the tests put ../shared/autolab/src there). Row kinds:
  poll:      {"manifest", "hookLine", "syncTemplate"} -> the word autolab reads from our poll line, the
             status pair after the poll, whether it calls the sync, and the ledger line of the manifest it
             ends up with (the manifest on disk when a sync follows: autolab writes only after the sync).
  sync:      {"manifest"} -> the ledger line after a sync command that exited 0.
  aggregate: {"pairs": [[status, sync], ...]} -> the run group's roll-up.
The glue between autolab's functions (when the sync runs, the completed + success-like sync rule) is
written here from interface.md's description of _execute_slurm_monitor_runtime, which has no function of
its own for it.
"""
import copy
import json
import sys

from autolab.constants import SYNC_SUCCESS_STATUSES
from autolab.launch_runtime import (
    _aggregate_group_monitor_status,
    _apply_monitor_status_to_manifest,
    _monitor_status_from_scheduler,
    _normalize_scheduler_state,
    _normalize_status,
)
from autolab.slurm_job_list import canonical_slurm_job_bullet


def current_of(manifest):
    status = _normalize_status(str(manifest.get("status", "")), fallback="pending")
    block = manifest.get("artifact_sync_to_local")
    sync = str(block.get("status", "")).strip().lower() if isinstance(block, dict) else ""
    return status, sync or "pending"


def settle_and_write(manifest, status, sync, fallback):
    if sync in SYNC_SUCCESS_STATUSES and status == "completed":
        status = "synced"
    written = _apply_monitor_status_to_manifest(
        copy.deepcopy(manifest), status=status, sync_status=sync, fallback_status=fallback
    )
    return canonical_slurm_job_bullet(written), written


def answer(row):
    kind = row["kind"]
    if kind == "poll":
        manifest = row["manifest"]
        status, sync = current_of(manifest)
        current = status
        word = _normalize_scheduler_state(row["hookLine"])
        if word:
            status, sync = _monitor_status_from_scheduler(
                word, current_status=status, current_sync_status=sync
            )
        will_sync = bool(row["syncTemplate"]) and status in {"completed", "synced"} and sync not in SYNC_SUCCESS_STATUSES
        if will_sync:
            line = canonical_slurm_job_bullet(manifest)
        else:
            line, _ = settle_and_write(manifest, status, sync, current)
        return {"word": word, "status": status, "sync": sync, "willSync": will_sync, "line": line}
    if kind == "sync":
        manifest = row["manifest"]
        status, _ = current_of(manifest)
        # autolab calls the sync only after a completed (or synced) poll; a sync that exited 0:
        after_status, after_sync = _monitor_status_from_scheduler("completed", current_status=status, current_sync_status="pending")
        line, _ = settle_and_write(manifest, "synced" if after_status != "failed" else after_status, "completed", status)
        return {"line": line}
    if kind == "aggregate":
        pairs = row["pairs"]
        ids = [f"r{i}" for i in range(len(pairs))]
        status, sync = _aggregate_group_monitor_status(
            run_ids=ids, per_run_status={i: (p[0], p[1]) for i, p in zip(ids, pairs)}
        )
        return {"status": status, "sync": sync}
    raise ValueError(kind)


json.dump([answer(r) for r in json.load(sys.stdin)], sys.stdout)
