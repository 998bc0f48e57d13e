"""Prefect flows: orchestration only. Each task wraps one library call with retries and logging."""
