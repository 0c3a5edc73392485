/* The join form's place: click the map and the latitude and longitude fields fill in (they stay
 * visible and typed by keyboard too). The country outlines are vendored; tiles when reachable. */
(function () {
  "use strict";
  var box = document.getElementById("place-pick");
  var latitude = document.getElementById("id_latitude");
  var longitude = document.getElementById("id_longitude");
  if (!box || !window.L || !latitude || !longitude) { return; }
  box.hidden = false;
  var data = box.dataset;
  var map = L.map("place-map", { worldCopyJump: true, minZoom: 1, maxZoom: 18 });
  map.createPane("outlines");
  map.getPane("outlines").style.zIndex = 150;
  var start = latitude.value && longitude.value ? [+latitude.value, +longitude.value] : null;
  map.setView(start || [45, 20], start ? 8 : 2);
  fetch(data.world).then(function (r) { return r.json(); }).then(function (world) {
    L.geoJSON(world, {
      pane: "outlines", interactive: false,
      style: { color: "#7d8a99", weight: 1, fillColor: "#f4f1ea", fillOpacity: 1 }
    }).addTo(map);
  });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  var marker = start ? L.marker(start).addTo(map) : null;
  map.on("click", function (event) {
    var point = event.latlng.wrap();
    latitude.value = point.lat.toFixed(6);
    longitude.value = point.lng.toFixed(6);
    if (marker) { marker.setLatLng(point); } else { marker = L.marker(point).addTo(map); }
  });
})();
