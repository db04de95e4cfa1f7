"""Engines for the shard stage: where raw rows are read and reduced to partial aggregates.

The shard stage itself is `shard_stage`; the local engine is `shard_stage.reduce_locally`.
`--engine ray` runs the same `shard_stage.reduce_shards` as Ray tasks, one per piece of
the log [pieces, tasks], and merges their partial aggregates in log order [driver];
repeated requests are found across pieces exactly [keys]; Ray itself is optional
[runtime]. Everything after the shard stage runs on the driver, as with the local engine.
"""
