/* The door page: keep the scanner input ready, and scan QR codes with the device camera.
 *
 * Everything here is an extra: the page works with plain forms. The camera library
 * (static/vendor/qr-scanner, MIT) is loaded only when someone presses "Scan with camera".
 */
(function () {
  "use strict";

  var REPEAT_MS = 3000; // a code seen again within this time of its last sighting is still the same person in view
  var scanner = null;

  function codeInput() { return document.getElementById("f-code"); }

  function readyForNextScan() {
    var input = codeInput();
    if (!input) { return; }
    input.value = "";
    if (!scanner) { input.focus(); } // with the camera on, a phone's keyboard would cover the view
  }

  function showResult() {
    var result = document.getElementById("result");
    if (result && result.scrollIntoView) { result.scrollIntoView({ block: "nearest" }); }
  }

  document.addEventListener("htmx:afterRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    // only the answers to our forms (scan, check in, undo), not the polls and search reloads
    if (!elt || !elt.closest || elt.tagName !== "FORM") { return; }
    if (elt.id === "scan-form") {
      readyForNextScan();
      showResult();
    } else if (elt.closest("#search-results")) {
      var q = document.getElementById("f-q");
      showResult();
      if (q) { q.focus(); q.select(); }
    } else if (elt.closest("#result") || elt.closest("#recent")) {
      readyForNextScan();
      showResult();
    }
  });

  /* ---- camera ---- */
  var lastCode = "";
  var lastAt = 0;

  function setStatus(text) {
    var status = document.getElementById("camera-status");
    if (status) { status.textContent = text; }
  }

  function submitCode(code) {
    var now = Date.now();
    var stillInView = code === lastCode && now - lastAt < REPEAT_MS;
    lastCode = code;
    lastAt = now;
    if (stillInView) { return; }
    var input = codeInput();
    var form = document.getElementById("scan-form");
    if (!input || !form) { return; }
    input.value = code;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function stopCamera() {
    if (scanner) { scanner.destroy(); scanner = null; }
    document.getElementById("camera-video").hidden = true;
    document.getElementById("camera-stop").hidden = true;
    document.getElementById("camera-start").hidden = false;
    setStatus("");
    readyForNextScan();
  }

  function startCamera() {
    var box = document.getElementById("camera");
    var video = document.getElementById("camera-video");
    setStatus("Starting the camera…");
    import(box.getAttribute("data-library")).then(function (module) {
      var QrScanner = module.default;
      scanner = new QrScanner(video, function (result) {
        submitCode(String(result.data || "").trim());
      }, { returnDetailedScanResult: true, preferredCamera: "environment", maxScansPerSecond: 8 });
      window.__checkinScanner = scanner; // for the browser test: the engine (worker) it runs
      video.hidden = false;
      return scanner.start();
    }).then(function () {
      document.getElementById("camera-start").hidden = true;
      document.getElementById("camera-stop").hidden = false;
      setStatus("Camera on: hold the QR code in front of it.");
    }).catch(function (err) {
      if (scanner) { scanner.destroy(); scanner = null; }
      video.hidden = true;
      setStatus("The camera could not start (" + (err && err.name ? err.name : err) + "). Type the code or search by name.");
    });
  }

  function setUpCamera() {
    var start = document.getElementById("camera-start");
    var stop = document.getElementById("camera-stop");
    if (!start || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    start.hidden = false;
    start.addEventListener("click", startCamera);
    stop.addEventListener("click", stopCamera);
    window.addEventListener("pagehide", function () { if (scanner) { scanner.stop(); } });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpCamera);
  } else {
    setUpCamera();
  }
})();
