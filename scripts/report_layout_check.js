// Layout checks run inside the rendered report (appended to a copy by screenshot_report.py).
// Waits until plotly has drawn every figure, then writes the problems it finds as JSON into
// a pre element with id layout-check, which the script reads back from Chromium's --dump-dom output.
(function () {
  var SNAKE = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/;
  var PATH = /(^|[\s(])(\/(tmp|home|work|root|Users|var|mnt)\/|[A-Za-z]:\\)|\.duckdb\b/;
  var NICE = [1, 2, 2.5, 5, 10];

  function where(el) {
    var section = el.closest('section');
    return section ? '#' + section.id : el.tagName.toLowerCase();
  }

  function visibleText(root) {
    // Text nodes a reader sees, with the element holding them; <code> and scripts excluded.
    var out = [];
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var el = node.parentElement;
      var text = node.textContent.trim();
      if (!text || !el || el.closest('script, style, code, title')) continue;
      var rect = el.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) continue;
      out.push({el: el, text: text});
    }
    return out;
  }

  function niceStep(step) {
    var power = Math.pow(10, Math.floor(Math.log10(step)));
    var m = step / power;
    return NICE.some(function (n) { return Math.abs(m - n) < 1e-6 * n; });
  }

  function tickNumber(text) {
    var clean = text.replace(/[\u2212]/g, '-').replace(/[^0-9.\-kMB]/g, '');
    var scale = /k$/.test(clean) ? 1e3 : /M$/.test(clean) ? 1e6 : /B$/.test(clean) ? 1e9 : 1;
    var value = parseFloat(clean);
    return isNaN(value) ? null : value * scale;
  }

  function check() {
    var problems = [];
    var seen = {};
    function add(kind, el, detail) {
      // At most three examples per check and section keep the output readable.
      var key = kind + where(el);
      seen[key] = (seen[key] || 0) + 1;
      if (seen[key] > 3) return;
      problems.push({check: kind, where: where(el), detail: String(detail).slice(0, 160)});
    }

    document.querySelectorAll('section').forEach(function (card) {
      var box = card.getBoundingClientRect();
      if (card.scrollWidth > card.clientWidth + 1) {
        add('overflow', card, 'content is ' + card.scrollWidth + 'px wide in a ' +
            card.clientWidth + 'px card');
      }
      card.querySelectorAll('.table-wrap, .figure, .stats, p').forEach(function (el) {
        var r = el.getBoundingClientRect();
        if (r.right > box.right + 1 || r.left < box.left - 1) {
          add('overflow', el, el.tagName.toLowerCase() + ' runs past its card by ' +
              Math.round(Math.max(r.right - box.right, box.left - r.left)) + 'px');
        }
      });
      // A table that scrolls sideways hides columns on a phone as well as on a laptop.
      card.querySelectorAll('.table-wrap').forEach(function (wrap) {
        if (wrap.scrollWidth > wrap.clientWidth + 1) {
          var caption = wrap.querySelector('caption');
          add('table-scrolls', wrap, (caption ? caption.textContent : 'table') +
              ' needs ' + wrap.scrollWidth + 'px in ' + wrap.clientWidth + 'px');
        }
      });
      // A cell whose text is wider than the cell is cut off (overflow hidden or ellipsis).
      card.querySelectorAll('td, th').forEach(function (cell) {
        if (cell.scrollWidth > cell.clientWidth + 1) {
          add('clipped-label', cell, '"' + cell.textContent.trim() + '" needs ' +
              cell.scrollWidth + 'px in a ' + cell.clientWidth + 'px cell');
        }
      });
    });

    // Chart text (tick labels, legend entries, titles) drawn partly outside its chart is cut
    // off by the chart's edge: plotly does not wrap or shrink labels to fit a narrow screen.
    document.querySelectorAll('.figure').forEach(function (fig) {
      var svg = fig.querySelector('svg.main-svg');
      if (!svg) return;
      var box = svg.getBoundingClientRect();
      fig.querySelectorAll('svg text').forEach(function (t) {
        var text = t.textContent.trim();
        var r = t.getBoundingClientRect();
        if (!text || r.width === 0 || r.height === 0) return;
        if (window.getComputedStyle(t).visibility === 'hidden') return;
        var cut = Math.max(box.left - r.left, r.right - box.right);
        if (cut > 2) {
          add('clipped-label', fig, '"' + text + '" is cut off by ' + Math.round(cut) +
              'px at the chart edge');
        }
      });
    });

    visibleText(document.body).forEach(function (item) {
      var m = item.text.match(SNAKE);
      if (m) add('snake_case', item.el, m[0] + ' in "' + item.text + '"');
      if (item.text.indexOf('`') >= 0) add('backtick', item.el, item.text);
    });

    var header = document.querySelector('header');
    if (header) {
      visibleText(header).forEach(function (item) {
        if (PATH.test(item.text)) add('path-in-header', item.el, item.text);
      });
    }

    document.querySelectorAll('.figure svg text').forEach(function (t) {
      var text = t.textContent.trim();
      if (!text) return;
      var r = t.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      var style = window.getComputedStyle(t);
      if (style.visibility === 'hidden' || style.opacity === '0') return;
      // Drawn size: the font size times the scale plotly applies (rotation keeps the scale).
      var m = t.getScreenCTM();
      var size = parseFloat(style.fontSize) * (m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : 1);
      if (size < 10) add('tiny-text', t, text + ' (drawn at ' + size.toFixed(1) + 'px)');
    });

    document.querySelectorAll('.figure').forEach(function (fig) {
      ['ytick', 'y2tick'].forEach(function (cls) {
        var labels = Array.prototype.map.call(
          fig.querySelectorAll('g.' + cls + ' text'), function (t) { return t.textContent; });
        var values = labels.map(tickNumber).filter(function (v) { return v !== null; });
        values.sort(function (a, b) { return a - b; });
        for (var i = 1; i < values.length; i++) {
          var step = values[i] - values[i - 1];
          if (step > 0 && !niceStep(step)) {
            add('odd-ticks', fig, cls + ' ticks ' + labels.join(' / '));
            break;
          }
        }
      });
    });

    // Category labels drawn over each other (too many bars for the chart's height); only y
    // labels: rotated x labels have overlapping boxes without touching.
    document.querySelectorAll('.figure').forEach(function (fig) {
      ['ytick', 'y2tick'].forEach(function (cls) {
        var boxes = Array.prototype.map.call(fig.querySelectorAll('g.' + cls + ' text'),
          function (t) { return {text: t.textContent, r: t.getBoundingClientRect()}; })
          .filter(function (b) { return b.text && b.r.width > 0 && b.r.height > 0; });
        for (var i = 0; i < boxes.length; i++) {
          for (var j = i + 1; j < boxes.length; j++) {
            var a = boxes[i].r, b = boxes[j].r;
            var dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            var dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (dx > 2 && dy > 2) {
              add('overlapping-labels', fig, '"' + boxes[i].text + '" and "' + boxes[j].text +
                  '" are drawn over each other');
              return;
            }
          }
        }
      });
    });

    var out = document.createElement('pre');
    out.id = 'layout-check';
    out.textContent = JSON.stringify({
      width: window.innerWidth,
      height: document.documentElement.scrollHeight,
      problems: problems
    });
    document.body.appendChild(out);
  }

  window.addEventListener('load', function () { setTimeout(check, 1500); });
})();
