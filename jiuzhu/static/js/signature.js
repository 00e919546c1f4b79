/* Signature pads: <canvas data-signature="name"> writes a PNG data URL into <input name="name">. */
(function () {
  function setup(canvas) {
    var input = document.querySelector('input[name="' + canvas.dataset.signature + '"]');
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    function pos(e) {
      var r = canvas.getBoundingClientRect();
      var p = e.touches ? e.touches[0] : e;
      return [(p.clientX - r.left) * canvas.width / r.width, (p.clientY - r.top) * canvas.height / r.height];
    }
    function start(e) { drawing = true; var p = pos(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); e.preventDefault(); }
    function move(e) {
      if (!drawing) return;
      var p = pos(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; e.preventDefault();
    }
    function end() { if (drawing && drawn) { input.value = canvas.toDataURL("image/png"); } drawing = false; }
    canvas.addEventListener("mousedown", start); canvas.addEventListener("mousemove", move);
    window.addEventListener("mouseup", end);
    canvas.addEventListener("touchstart", start, {passive: false});
    canvas.addEventListener("touchmove", move, {passive: false});
    canvas.addEventListener("touchend", end);
    var clear = document.querySelector('[data-clear="' + canvas.dataset.signature + '"]');
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); input.value = ""; drawn = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-signature]").forEach(setup);
  });
})();
