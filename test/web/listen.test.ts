// A busy port is named, not dumped as EADDRINUSE; the dashboard binds to localhost by default.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import express from 'express';
import { listen } from '../../src/listen.ts';

test('a second server on a busy port says "port N is in use" and which setting to change', async () => {
  const first = await listen(express(), 0, '127.0.0.1', 'the playground');
  const { port } = first.address() as AddressInfo;
  try {
    await assert.rejects(listen(express(), port, '127.0.0.1', 'the playground'),
      new RegExp(`^ListenError: the playground cannot start: port ${port} is in use \\(another program listens there\\); set PORT to a free port$`));
    await assert.rejects(listen(express(), port, '127.0.0.1', 'the dashboard'), /set DASHBOARD_PORT to a free port$/);
  } finally {
    first.close();
  }
});
