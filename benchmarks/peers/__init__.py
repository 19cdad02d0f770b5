"""Peer tools measured by the benchmarks, each run in its own throwaway environment."""
