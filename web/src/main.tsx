import { effect } from '@preact/signals';
import { render } from 'preact';
import './ui/ui.css';
import { App } from './app/App';
import { registerServiceWorker } from './app/sw';
import { startLive, stopLive } from './data/live';
import { session, startSession } from './data/session';

const root = document.getElementById('app');
if (root) render(<App />, root);

// Live events run while someone is signed in.
effect(() => {
  if (session.value.status === 'signed_in') startLive();
  else stopLive();
});

void startSession();
registerServiceWorker();
