/* The portal works without this file; it only improves it:
   - focus the error summary, and move focus to the field when one of its links is used;
   - reveal fields that depend on an answer on the same page;
   - suggest Thai provinces, districts and sub-districts, and fill in the postcode;
   - a map to pin a location (Leaflet, shipped with the portal), falling back to the
     latitude/longitude boxes when the map tiles cannot load;
   - copy the resume link. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function staticUrl(path) {
    var script = document.querySelector("script[src*='portal.js']");
    return script ? script.src.replace(/portal\.js.*$/, path) : path;
  }

  /* --- errors ------------------------------------------------------------------------- */
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    if (document.activeElement !== summary) { summary.focus(); }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      var input = target.matches("input, select, textarea, button") ? target :
        target.querySelector("input, select, textarea, button");
      var group = target.closest("fieldset") || target.closest(".form-group");
      var caption = group ? group.querySelector("legend, label") : null;
      (caption || target).scrollIntoView();
      if (input) { input.focus({ preventScroll: true }); }
      if (history.replaceState) { history.replaceState(null, "", link.getAttribute("href")); }
    });
  }

  /* --- fields revealed by an answer on the same page --------------------------------- */
  function reveals() {
    var groups = document.querySelectorAll("[data-reveal-pointer]");
    if (!groups.length) { return; }
    function valueOf(name) {
      var inputs = document.getElementsByName(name);
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        if ((input.type === "radio" || input.type === "checkbox")) {
          if (input.checked) { return input.value; }
        } else { return input.value; }
      }
      return null;
    }
    function update() {
      groups.forEach(function (group) {
        var value = valueOf(group.getAttribute("data-reveal-pointer"));
        var values = JSON.parse(group.getAttribute("data-reveal-values") || "[]");
        var holds = value !== null && values.indexOf(value) !== -1;
        if (group.getAttribute("data-reveal-negate") === "true") { holds = value !== null && !holds; }
        group.hidden = !holds;
      });
    }
    document.addEventListener("change", update);
    update();
  }

  /* --- Thai address picker ------------------------------------------------------------- */
  var provinceCache = {};
  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    });
  }
  function fillList(list, names) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      list.appendChild(option);
    });
  }
  function addresses() {
    var groups = document.querySelectorAll("[data-thai-address]");
    if (!groups.length) { return; }
    var base = document.body.getAttribute("data-address-base") || "/portal/thai-address";
    var provinces = fetchJson(base + ".json");
    groups.forEach(function (group, index) {
      var inputs = {};
      group.querySelectorAll("[data-part]").forEach(function (input) { inputs[input.getAttribute("data-part")] = input; });
      if (!inputs.province || !inputs.district || !inputs.subdistrict) { return; }
      var lists = {};
      ["province", "district", "subdistrict"].forEach(function (key) {
        var list = document.createElement("datalist");
        list.id = "address-" + index + "-" + key;
        group.appendChild(list);
        inputs[key].setAttribute("list", list.id);
        lists[key] = list;
      });
      var tree = null;
      provinces.then(function (names) { fillList(lists.province, names); }).catch(function () {});
      function loadProvince() {
        var name = inputs.province.value.trim();
        tree = null;
        if (!name) { return Promise.resolve(); }
        if (!provinceCache[name]) {
          provinceCache[name] = fetchJson(base + "/" + encodeURIComponent(name) + ".json");
        }
        return provinceCache[name].then(function (data) { tree = data; fillList(lists.district, Object.keys(data).sort()); })
          .catch(function () { delete provinceCache[name]; });
      }
      function loadDistrict() {
        var district = tree && tree[inputs.district.value.trim()];
        fillList(lists.subdistrict, district ? Object.keys(district).sort() : []);
      }
      function fillPostcode() {
        var district = tree && tree[inputs.district.value.trim()];
        var codes = district && district[inputs.subdistrict.value.trim()];
        if (codes && codes.length === 1 && inputs.postcode && !inputs.postcode.value.trim()) {
          inputs.postcode.value = codes[0];
        }
      }
      inputs.province.addEventListener("change", function () { loadProvince().then(loadDistrict); });
      inputs.district.addEventListener("change", loadDistrict);
      inputs.subdistrict.addEventListener("change", fillPostcode);
      loadProvince().then(loadDistrict);
    });
  }

  /* --- map pin -------------------------------------------------------------------------- */
  function maps() {
    var groups = document.querySelectorAll("[data-map-pin]");
    if (!groups.length || !window.L) { return; }
    window.L.Icon.Default.imagePath = staticUrl("vendor/leaflet/images/");
    groups.forEach(function (group) {
      var lat = group.querySelector("[data-part='lat']");
      var lon = group.querySelector("[data-part='lon']");
      var slot = group.querySelector("[data-map-slot]");
      var note = group.querySelector("[data-map-note]");
      if (!lat || !lon || !slot) { return; }
      var canvas = document.createElement("div");
      canvas.className = "map-canvas";
      canvas.setAttribute("role", "application");
      canvas.setAttribute("aria-label", group.querySelector("legend").textContent);
      slot.appendChild(canvas);
      var start = [parseFloat(lat.value), parseFloat(lon.value)];
      var has = !isNaN(start[0]) && !isNaN(start[1]);
      // Without a point yet, the map opens on the municipality's own area.
      var centre = (group.getAttribute("data-centre") || "13.7563,100.5018").split(",").map(parseFloat);
      var map = window.L.map(canvas).setView(has ? start : centre, has ? 17 : 14);
      var failed = false;
      var tiles = window.L.tileLayer(group.getAttribute("data-tile-url"), {
        maxZoom: 19, attribution: group.getAttribute("data-tile-attribution") || ""
      });
      var mapHint = group.querySelector("[data-map-hint]");
      if (mapHint) { mapHint.hidden = false; }
      tiles.on("tileerror", function () {
        if (failed) { return; }
        failed = true;
        map.remove();
        slot.hidden = true;
        if (mapHint) { mapHint.hidden = true; }
        if (note) { note.hidden = false; }
      });
      tiles.addTo(map);
      var marker = has ? window.L.marker(start, { draggable: true }).addTo(map) : null;
      function put(latlng) {
        lat.value = latlng.lat.toFixed(6);
        lon.value = latlng.lng.toFixed(6);
        if (failed) { return; }
        if (!marker) {
          marker = window.L.marker(latlng, { draggable: true }).addTo(map);
          marker.on("dragend", function () { put(marker.getLatLng()); });
        } else { marker.setLatLng(latlng); }
      }
      if (marker) { marker.on("dragend", function () { put(marker.getLatLng()); }); }
      map.on("click", function (event) { put(event.latlng); });
      [lat, lon].forEach(function (input) {
        input.addEventListener("change", function () {
          if (failed) { return; }
          var point = [parseFloat(lat.value), parseFloat(lon.value)];
          if (!isNaN(point[0]) && !isNaN(point[1])) { put(window.L.latLng(point)); map.setView(point); }
        });
      });
      var locate = group.querySelector("[data-map-locate]");
      if (locate && navigator.geolocation) {
        locate.hidden = false;
        locate.addEventListener("click", function () {
          navigator.geolocation.getCurrentPosition(function (position) {
            var point = window.L.latLng(position.coords.latitude, position.coords.longitude);
            put(point);
            if (!failed) { map.setView(point, 17); }
          });
        });
      }
    });
  }

  /* --- characters left in long answers ----------------------------------------------------- */
  function characterCounts() {
    var th = document.documentElement.lang !== "en";
    document.querySelectorAll("[data-char-count]").forEach(function (counter) {
      var box = document.getElementById(counter.getAttribute("data-char-count"));
      if (!box) { return; }
      var limit = parseInt(box.getAttribute("data-maxlength"), 10);
      function update() {
        var left = limit - box.value.length;
        counter.hidden = false;
        counter.classList.toggle("over", left < 0);
        counter.textContent = left >= 0
          ? (th ? "พิมพ์ได้อีก " + left.toLocaleString() + " ตัวอักษร" : left.toLocaleString() + " characters left")
          : (th ? "เกินมา " + (-left).toLocaleString() + " ตัวอักษร" : (-left).toLocaleString() + " characters too many");
      }
      box.addEventListener("input", update);
      update();
    });
  }

  /* --- copy the resume link --------------------------------------------------------------- */
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.getElementById(button.getAttribute("data-copy"));
        navigator.clipboard.writeText(input.value).then(function () {
          var done = button.parentNode.querySelector(".copy-done");
          if (done) { done.hidden = false; }
        });
      });
    });
  }

  ready(function () {
    errorSummary();
    reveals();
    addresses();
    maps();
    characterCounts();
    copyButtons();
  });
}());
