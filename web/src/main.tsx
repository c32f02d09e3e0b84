import { render } from 'preact';
import './ui/ui.css';
import { App } from './app/App';
import { registerServiceWorker } from './app/sw';
import { startSession } from './data/session';

const root = document.getElementById('app');
if (root) render(<App />, root);
void startSession();
registerServiceWorker();
