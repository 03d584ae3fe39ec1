// htm bound to Preact: every module writes its markup as html`…`.
import { h } from './vendor/preact.js';
import htm from './vendor/htm.js';

export const html = htm.bind(h);
