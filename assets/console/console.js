// The console's one script: it draws a batch's progress over time with uPlot, from the JSON the page names,
// and draws it again every 30 s. Everything else on the pages is HTML and htmx attributes.
(function () {
  'use strict';

  function draw(el) {
    fetch(el.dataset.src, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        el.textContent = '';
        if (data[0].length === 0) {
          el.textContent = 'No client has been called yet.';
          return;
        }
        var opts = {
          width: Math.max(320, el.clientWidth),
          height: 240,
          series: [{}, { label: 'clients settled', stroke: '#2563eb', width: 2, fill: 'rgba(37, 99, 235, 0.08)' }],
          axes: [{}, { size: 70 }],
        };
        new uPlot(opts, data, el);
      })
      .catch(function (err) {
        el.textContent = 'The chart cannot be drawn: ' + err.message;
      });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var el = document.getElementById('progress-chart');
    if (!el || typeof uPlot === 'undefined') return;
    draw(el);
    setInterval(function () {
      draw(el);
    }, 30000);
  });
})();
