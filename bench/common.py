"""Shared by the benchmarks: each builds its own database on the cluster of DATABASE_URL."""

from __future__ import annotations

from urllib.parse import urlparse, urlunparse


def recreate_database(url: str, name: str) -> str:
    """Drop and create database ``name`` next to the one of ``url``; return its URL."""
    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))
