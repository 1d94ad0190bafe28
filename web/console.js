// console.js - floe's console: topics, pipelines, dead letters, tables
// and a SQL box, one section a tab (the URL's #hash). Topics come from
// GET /api/topics (the log's own counters: offsets, sizes; records/s from
// two replies), pipelines and table maintenance from GET /status, both
// cheap whatever the data holds; dead letters and tables through POST
// /sql (a dead-letter topic's newest 200 a partition, by offset, as
// topic.NAME; a table's metadata tables
// t$snapshots, t$partitions, t$files, its columns through
// pragma_table_info), read only while their tab is open. The open tab
// refreshes every 5 s. The SQL box shows its result as a table,
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

  async function tableNames() {
    const r = await sql("SELECT name FROM pragma_table_list WHERE schema = 'default' AND type = 'virtual' ORDER BY name");
    return r.rows.map((row) => row[0]).filter((name) => !name.includes('$'));
  }

  async function showTopics(el) {
    const r = await floeCharts.json('/api/topics');
    const rows = [];
    for (const t of r.topics) {
      if (!t.partitions.length) rows.push([t.name, '-', '-', '-', 0, '-']);
      for (const p of t.partitions) {
        const key = t.name + '/' + p.partition, prev = prevTopic[key];
        const rate = prev && r.time_ms > prev[1] ? ((p.end_offset - prev[0]) * 1000 / (r.time_ms - prev[1])).toFixed(1) : '-';
        prevTopic[key] = [p.end_offset, r.time_ms];
        rows.push([t.name, p.partition, p.start_offset, p.end_offset, p.bytes, rate]);
      }
    }
    el.innerHTML = table(['topic', 'partition', 'start offset', 'end offset', 'bytes on disk', 'records/s'], rows);
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
    const dlqs = (await floeCharts.json('/api/topics')).topics.filter((t) => t.name.endsWith('.dlq'));
    if (sel.options.length !== dlqs.length) {
      const keep = sel.value;
      sel.innerHTML = dlqs.map((t) => '<option>' + esc(t.name) + '</option>').join('');
      if (dlqs.some((t) => t.name === keep)) sel.value = keep;
      else { // the first dead-letter topic that holds any
        const held = dlqs.find((t) => t.partitions.some((p) => p.end_offset > p.start_offset));
        if (held) sel.value = held.name;
      }
    }
    if (!sel.value) { el.textContent = 'No dead-letter topics.'; return; }
    // the newest 200 of each partition: offset ranges the topic table
    // reads directly, so the cost does not grow with the topic
    const parts = (dlqs.find((t) => t.name === sel.value) || { partitions: [] }).partitions;
    const cols = "partition, offset, timestamp, json_extract(value, '$.topic'), json_extract(value, '$.offset'), json_extract(value, '$.reason'), json_extract(value, '$.value')";
    const r = parts.length ? await sql('SELECT * FROM (' + parts.map((p) => 'SELECT ' + cols + ' FROM topic.' + qid(sel.value) +
      ' WHERE partition = ' + p.partition + ' AND offset >= ' + Math.max(p.start_offset, p.end_offset - 200)).join(' UNION ALL ') +
      ') ORDER BY 3 DESC', 200) : { rows: [] };
    el.innerHTML = r.rows.length
      ? table(['partition', 'offset', 'time', 'source topic', 'source offset', 'reason', 'record'], r.rows)
      : 'No dead letters in ' + esc(sel.value) + '.';
  }

  async function showTables(el) {
    const [tables, st] = await Promise.all([tableNames(), floeCharts.json('/status')]);
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
