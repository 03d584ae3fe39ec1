// The Lists screen (spec §8): a CSV file of payouts is read in the
// browser (input "CSV file", button "Upload") and previewed: every bad row
// with its line and reason, before anything is created. Create payouts
// then sends the file as it is to POST /api/payment/import, which creates
// the whole list in one transaction or nothing; rows only the server can
// refuse (funds, recipients) come back with their lines and nothing is
// created. A template file to download.
import { useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api } from '../api.js';
import { Link } from '../router.js';
import { previewCsv } from '../csv.js';
import { Alert, Money, Notice, TableFrame, messageOf } from '../ui.js';

const PREVIEW_ROWS = 20;
const FILE_BYTES_MAX = 16 * 1024 * 1024; // the import route's limit (PP_LIST_BODY_BYTES_MAX)
const TEMPLATE = new URL('../payouts-template.csv', import.meta.url).pathname;

function BadRows({ bad, title }) {
  return html`
    <section aria-labelledby="bad-title">
      <h2 id="bad-title">${title}</h2>
      <${TableFrame} label="Bad rows">
        <table>
          <thead><tr><th scope="col" class="num">Line</th><th scope="col" class="num">Row</th><th scope="col">Reason</th></tr></thead>
          <tbody>${bad.map((b) => html`<tr><td class="num">${b.line}</td><td class="num">${b.index}</td><td>${b.reason}</td></tr>`)}</tbody>
        </table>
      </${TableFrame}>
    </section>`;
}

function GoodRows({ rows, count }) {
  const shown = rows.slice(0, PREVIEW_ROWS);
  return html`
    <section aria-labelledby="rows-title">
      <h2 id="rows-title">Payouts in the file</h2>
      <${TableFrame} label="Payouts in the file, table">
        <table>
          <thead><tr><th scope="col" class="num">Line</th><th scope="col" class="money">Amount</th><th scope="col">Project</th>
            <th scope="col">Recipient</th><th scope="col">Description</th><th scope="col">Window</th></tr></thead>
          <tbody>${shown.map((r) => html`
            <tr><td class="num">${r.line}</td><td class="money"><${Money} amount=${r.data.amount} currency=${r.data.currency} /></td>
              <td>${r.data.name}</td><td>${r.data.userName || r.data.phoneNumber || r.data.referenceId}</td>
              <td>${r.data.description}</td><td>${r.data.startDate} – ${r.data.endDate}</td></tr>`)}</tbody>
        </table>
      </${TableFrame}>
      ${count > shown.length && html`<p class="muted">The first ${shown.length} of ${count} rows.</p>`}
    </section>`;
}

export function Lists() {
  const [file, setFile] = useState(null);
  const [text, setText] = useState(null);
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState(null);
  const [serverBad, setServerBad] = useState(null);
  const [created, setCreated] = useState(null);
  const [busy, setBusy] = useState(false);

  async function upload(e) {
    e.preventDefault();
    setError(null); setPreview(null); setServerBad(null); setCreated(null); setText(null);
    if (file === null) { setError('Choose a CSV file first.'); return; }
    if (file.size > FILE_BYTES_MAX) { setError('The file is larger than 16 MiB, the most one list may be. Split it.'); return; }
    try {
      const content = await file.text();
      const p = previewCsv(content);
      setText(content);
      setPreview(p);
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function create() {
    setBusy(true); setError(null); setServerBad(null);
    try {
      const answer = await api('POST', '/api/payment/import', text, { contentType: 'text/csv; charset=utf-8' });
      const ids = answer.payments.map((p) => p.id);
      setCreated({ count: ids.length, first: ids[0], last: ids[ids.length - 1] });
      setPreview(null); setText(null);
    } catch (err) {
      setError(err);
      if (Array.isArray(err.errors) && err.errors.length > 0) {
        setServerBad(err.errors.map((b) => ({ index: b.index, line: b.line ?? '', reason: b.message })));
      }
    } finally {
      setBusy(false);
    }
  }

  const ready = preview !== null && preview.bad.length === 0 && serverBad === null;
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Lists</h1>
      <p>Create many payouts at once from a CSV file: one payout per row, the whole list or nothing.
        <a href=${TEMPLATE} download="payouts-template.csv">Download the template</a>
        (columns: amount, currency, startDate, endDate, name, description, userName, phoneNumber,
        referenceId, firstName, lastName, email, notification).</p>
      <form class="upload" onSubmit=${upload}>
        <label for="csv-file">CSV file</label>
        <input id="csv-file" type="file" accept=".csv,text/csv"
          onChange=${(e) => { setFile(e.currentTarget.files[0] ?? null); setPreview(null); setCreated(null); }} />
        <button type="submit">Upload</button>
      </form>
      <${Alert} error=${error} />
      <${Notice} text=${created ? `Created ${created.count} payout${created.count === 1 ? '' : 's'} (${created.first}–${created.last}).` : (preview ? `${preview.count} row${preview.count === 1 ? '' : 's'} read: ${preview.count - preview.bad.length} good, ${preview.bad.length} bad.` : '')} />
      ${created && html`<p><${Link} href="/payouts">See them in Payouts</${Link}></p>`}
      ${preview && preview.bad.length > 0 && html`
        <${BadRows} bad=${preview.bad} title="Rows to fix" />
        <p>Fix these rows in the file and upload it again. Nothing has been created.</p>`}
      ${serverBad && html`
        <${BadRows} bad=${serverBad} title="Rows the server refused" />
        <p>Nothing has been created. Fix these rows and upload the file again.</p>`}
      ${preview && preview.rows.length > 0 && html`<${GoodRows} rows=${preview.rows} count=${preview.count} />`}
      ${preview && html`
        <p class="muted">Funds and recipients are checked by the server when the payouts are created.</p>
        <button type="button" class="primary" disabled=${!ready || busy} onClick=${create}>Create payouts</button>`}
    </section>`;
}
