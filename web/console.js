// console.js - floe's console: topics, pipelines, dead letters, tables
// and a SQL box, one section a tab (the URL's #hash). Everything is read
// through GET /status (pipelines and table maintenance) and POST /sql
// (topics as topic.NAME tables, a table's metadata tables t$snapshots,
// t$partitions, t$files, its columns through pragma_table_info); the
// open tab refreshes every 5 s. The SQL box shows its result as a table,
// and as a chart when the columns allow: a time or number column first
// and numbers after it draw lines; text first and numbers after it draw
// bars.
'use strict';
(() => {
  const REFRESH_MS = 5000;
  const $ = (id) => document.getElementById(id);
  const sql = (query, limit) => floeCharts.json('/sql', { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, limit: limit || 1000 }) });
  const qid = (name) => '"' + name.replace(/"/g, '""') + '"';
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const prevTopic = {}; // topic/partition -> [end offset, ms] for records/s

  function table(columns, rows) {
    return '<table><tr>' + columns.map((c) => '<th>' + esc(c) + '</th>').join('') + '</tr>' +
      rows.map((r) => '<tr>' + r.map((v) => '<td>' + esc(v === null ? 'NULL' : v) + '</td>').join('') + '</tr>').join('') +
      '</table>';
  }

  async function names() {
    const r = await sql("SELECT schema, name FROM pragma_table_list WHERE schema IN ('topic', 'default') AND type = 'virtual' ORDER BY schema, name");
    const topics = [], tables = [];
    for (const [schema, name] of r.rows) {
      if (schema === 'topic') topics.push(name); else if (!name.includes('$')) tables.push(name);
    }
    return { topics, tables };
  }

  async function showTopics(el) {
    const { topics } = await names();
    const rows = [];
    for (const t of topics) {
      const r = await sql('SELECT partition, min(offset), max(offset) + 1, count(*), sum(length(value)) FROM topic.' + qid(t) + ' GROUP BY partition ORDER BY partition');
      if (!r.rows.length) rows.push([t, '-', '-', '-', 0, 0, '-']);
      for (const [p, lo, end, n, bytes] of r.rows) {
        const key = t + '/' + p, now = Date.now(), prev = prevTopic[key];
        const rate = prev && now > prev[1] ? ((end - prev[0]) * 1000 / (now - prev[1])).toFixed(1) : '-';
        prevTopic[key] = [end, now];
        rows.push([t, p, lo, end, n, bytes || 0, rate]);
      }
    }
    el.innerHTML = table(['topic', 'partition', 'start offset', 'end offset', 'records', 'value bytes', 'records/s'], rows);
  }

  async function showPipelines(el) {
    const st = await floeCharts.json('/status');
    const now = Date.now();
    el.innerHTML = table(['pipeline', 'topic', 'table', 'in', 'rejected', 'committed', 'lag', 'freshness', 'commits', 'commit ms p50/p99'],
      (st.pipelines || []).map((p) => [p.name, p.topic, p.table, p.records_in, p.rejected, p.committed, p.lag,
        p.last_commit_ms >= 0 ? ((now - p.last_commit_ms) / 1000).toFixed(1) + ' s ago' : 'never', p.commits,
        p.commit_ms_p50 + ' / ' + p.commit_ms_p99]));
  }

  async function showDlq(el) {
    const sel = $('dlq-topic');
    const dlqs = (await names()).topics.filter((t) => t.endsWith('.dlq'));
    if (sel.options.length !== dlqs.length) {
      const keep = sel.value;
      sel.innerHTML = dlqs.map((t) => '<option>' + esc(t) + '</option>').join('');
      if (dlqs.includes(keep)) sel.value = keep;
      else { // the first dead-letter topic that holds any
        for (const t of dlqs) {
          const n = await sql('SELECT count(*) FROM topic.' + qid(t));
          if (n.rows[0][0] > 0) { sel.value = t; break; }
        }
      }
    }
    if (!sel.value) { el.textContent = 'No dead-letter topics.'; return; }
    const r = await sql("SELECT partition, offset, timestamp, json_extract(value, '$.topic'), json_extract(value, '$.offset'), json_extract(value, '$.reason'), json_extract(value, '$.value') FROM topic." + qid(sel.value) + ' ORDER BY timestamp DESC', 200);
    el.innerHTML = r.rows.length
      ? table(['partition', 'offset', 'time', 'source topic', 'source offset', 'reason', 'record'], r.rows)
      : 'No dead letters in ' + esc(sel.value) + '.';
  }

  async function showTables(el) {
    const [{ tables }, st] = await Promise.all([names(), floeCharts.json('/status')]);
    const maint = {};
    for (const m of st.tables || []) maint[m.table] = m;
    let html = '';
    for (const t of tables) {
      const [cols, snaps, parts, files] = await Promise.all([
        sql('SELECT name, type, "notnull" FROM pragma_table_info(' + "'" + t.replace(/'/g, "''") + "', 'default')"),
        sql('SELECT committed_at, operation, CAST(snapshot_id AS TEXT) FROM ' + qid(t + '$snapshots') + ' ORDER BY committed_at DESC', 5),
        sql('SELECT count(*), sum(record_count) FROM ' + qid(t + '$partitions')),
        sql('SELECT count(*), sum(file_size_in_bytes) FROM ' + qid(t + '$files')),
      ]);
      const m = maint['default.' + t];
      html += '<h3>default.' + esc(t) + '</h3>' +
        table(['columns', 'partitions', 'records', 'data files', 'bytes', 'maintenance'],
          [[cols.rows.map((c) => c[0] + ' ' + c[1] + (c[2] ? ' not null' : '')).join(', '), parts.rows[0][0], parts.rows[0][1] || 0,
            files.rows[0][0], files.rows[0][1] || 0,
            m ? (m.maintenance ? 'on' : 'off') + ', runs ' + m.runs + (m.last_run ? ', last ' + m.last_run + ' ' + m.result : '') : '-']]) +
        (snaps.rows.length ? table(['snapshot committed', 'operation', 'snapshot id'], snaps.rows) : '');
    }
    el.innerHTML = html || 'No tables.';
  }

  // The chart a result allows: 'line' (time or number x), 'bar' (text x),
  // or null; numeric columns after the first are the series.
  function chartKind(columns, rows) {
    if (columns.length < 2 || !rows.length) return null;
    const isNum = (c) => rows.every((r) => r[c] === null || typeof r[c] === 'number');
    const isTime = (c) => rows.every((r) => typeof r[c] === 'string' && !isNaN(Date.parse(r[c])) && /^\d{4}-\d\d-\d\d/.test(r[c]));
    const ys = columns.map((_, i) => i).slice(1).filter(isNum);
    if (!ys.length) return null;
    if (isTime(0)) return { kind: 'line', time: true, ys };
    if (isNum(0)) return { kind: 'line', time: false, ys };
    return { kind: 'bar', ys };
  }

  let sqlPlot = null;
  async function runSql() {
    $('sql-err').textContent = '';
    $('sql-chart').innerHTML = '';
    $('sql-chart').dataset.kind = '';
    if (sqlPlot) { sqlPlot.destroy(); sqlPlot = null; }
    let r;
    try { r = await sql($('sql-text').value); } catch (e) { $('sql-err').textContent = e.message; $('sql-table').innerHTML = ''; return; }
    $('sql-info').textContent = r.rows.length + ' rows' + (r.truncated ? ' (truncated)' : '') + ', ' + r.elapsed_ms + ' ms';
    $('sql-table').innerHTML = table(r.columns, r.rows);
    const want = $('sql-view').value, auto = chartKind(r.columns, r.rows);
    if (want === 'table' || !auto) return;
    if (!floeCharts.ok) { $('sql-chart').textContent = 'This floe was built without uPlot (web/node_modules was absent): no charts.'; return; }
    const kind = want === 'auto' ? auto.kind : want;
    let rows = r.rows, labels = null, x;
    if (auto.time) {
      rows = rows.slice().sort((a, b) => Date.parse(a[0]) - Date.parse(b[0]));
      x = rows.map((row) => Date.parse(row[0]) / 1000);
    } else if (auto.kind === 'bar') {
      labels = rows.map((row) => String(row[0]));
      x = rows.map((_, i) => i);
    } else {
      rows = rows.slice().sort((a, b) => a[0] - b[0]);
      x = rows.map((row) => row[0]);
    }
    const data = [x].concat(auto.ys.map((c) => rows.map((row) => row[c])));
    sqlPlot = floeCharts.line($('sql-chart'), { names: auto.ys.map((c) => r.columns[c]), data, time: !!auto.time,
      bars: kind === 'bar', labels, height: 300 });
    $('sql-chart').dataset.kind = kind;
  }

  const SHOW = { topics: showTopics, pipelines: showPipelines, dlq: showDlq, tables: showTables };
  let timer = null;
  async function show() {
    const tab = (location.hash || '#pipelines').slice(1);
    for (const s of document.querySelectorAll('section')) s.classList.toggle('on', s.id === tab);
    for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('on', a.getAttribute('href') === '#' + tab);
    clearTimeout(timer);
    if (!SHOW[tab]) return;
    const el = document.querySelector('#' + tab + ' .body');
    try {
      await SHOW[tab](el);
      $('notice').hidden = true;
      document.body.dataset.loaded = tab;
    } catch (e) {
      $('notice').textContent = tab + ': ' + e.message;
      $('notice').hidden = false;
    }
    timer = setTimeout(show, REFRESH_MS);
  }
  window.addEventListener('hashchange', show);
  $('dlq-topic').addEventListener('change', show);
  $('sql-run').addEventListener('click', runSql);
  $('sql-text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) runSql(); });
  show();
})();
