// 分段上传: a department file larger than one request may carry is sent in parts through
// POST /api/v1/sources/{code}/uploads → PUT …/parts/{n} → POST …/complete, with a progress bar.
// Smaller files keep the plain form post.
(function () {
  "use strict";
  var form = document.querySelector("form[data-chunked-upload]");
  if (!form) return;
  var maxPart = parseInt(form.dataset.maxPart, 10);
  var base = "/api/v1/sources/" + encodeURIComponent(form.dataset.source) + "/uploads";
  var input = form.querySelector('input[type="file"]');
  var bar = form.querySelector("progress");
  var status = form.querySelector("[data-upload-status]");
  var button = form.querySelector("button");
  var csrf = form.querySelector('input[name="csrfmiddlewaretoken"]').value;

  function send(method, url, body, type, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      if (type) xhr.setRequestHeader("Content-Type", type);
      if (onProgress) xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = {}; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new Error(data.message || "上传失败（HTTP " + xhr.status + "），请重试"));
      };
      xhr.onerror = function () { reject(new Error("网络中断，上传未完成，请重新上传")); };
      xhr.send(body);
    });
  }

  function value(name) {
    var field = form.elements[name];
    return field && field.value !== "" ? field.value : null;
  }

  function show(done, total) {
    var percent = total ? Math.floor((done * 100) / total) : 0;
    bar.value = percent;
    status.textContent = "正在上传：" + percent + "%（" + (done / 1048576).toFixed(1) + " / " + (total / 1048576).toFixed(1) + " MB）";
  }

  form.addEventListener("submit", function (event) {
    var file = input.files[0];
    if (button.disabled) { event.preventDefault(); return; }
    button.disabled = true;
    button.textContent = "正在上传…";
    if (!file || file.size <= maxPart) return; // one request: the plain form post
    event.preventDefault();
    bar.hidden = false;
    status.classList.remove("error-text");
    show(0, file.size);
    var parts = Math.ceil(file.size / maxPart);
    send("POST", base, JSON.stringify({ size: file.size, filename: file.name }), "application/json")
      .then(function (upload) {
        var url = base + "/" + upload.upload_id;
        var chain = Promise.resolve();
        for (var n = 1; n <= parts; n++) {
          chain = chain.then((function (number) {
            return function () {
              var start = (number - 1) * maxPart;
              return send("PUT", url + "/parts/" + number, file.slice(start, start + maxPart), "application/octet-stream",
                function (loaded) { show(start + loaded, file.size); });
            };
          })(n));
        }
        return chain.then(function () {
          status.textContent = "上传完成，正在提交校验…";
          return send("POST", url + "/complete", JSON.stringify({
            kind: value("kind") || "",
            encoding: value("encoding") || "auto",
            period_start: value("period_start"),
            period_end: value("period_end"),
            expected_rows: value("expected_rows") === null ? null : parseInt(value("expected_rows"), 10)
          }), "application/json");
        });
      })
      .then(function (batch) {
        window.location.href = "/verification/batches/" + batch.id + "/";
      })
      .catch(function (err) {
        status.textContent = err.message;
        status.classList.add("error-text");
        button.disabled = false;
        button.textContent = "上传";
      });
  });
})();
