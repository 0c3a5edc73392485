/* The public map: country outlines (vendored, always), tiles when configured and reachable, the
 * programmes' markers (clustered) from the public GeoJSON. The list beside the map carries the same
 * programmes for keyboard and screen-reader users. The filters live in the query string (a GET
 * form); the map's view lives in the URL's hash (#map=zoom/lat/lng), so a view can be shared.
 * Text from the data is always set as text, never as HTML. */
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) { return; }
  var data = element.dataset;

  var map = L.map(element, { worldCopyJump: true, minZoom: 1, maxZoom: 18 });
  map.createPane("outlines");
  map.getPane("outlines").style.zIndex = 150; /* under the tiles (200): seen when tiles fail */

  function viewFromHash() {
    var match = /#map=(\d+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(window.location.hash);
    return match ? { zoom: +match[1], center: [+match[2], +match[3]] } : null;
  }
  var shared = viewFromHash();
  map.setView(shared ? shared.center : [30, 10], shared ? shared.zoom : 2);
  map.on("moveend", function () {
    var c = map.getCenter();
    var hash = "#map=" + map.getZoom() + "/" + c.lat.toFixed(4) + "/" + c.lng.toFixed(4);
    history.replaceState(null, "", window.location.pathname + window.location.search + hash);
  });

  fetch(data.world).then(function (r) { return r.json(); }).then(function (world) {
    L.geoJSON(world, {
      pane: "outlines", interactive: false,
      style: { color: "#7d8a99", weight: 1, fillColor: "#f4f1ea", fillOpacity: 1 }
    }).addTo(map);
  });

  if (data.tileUrl) {
    var failures = 0, note = null;
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 18 })
      .on("tileerror", function () {
        failures += 1;
        if (failures === 3 && !note) {
          note = L.control({ position: "bottomleft" });
          note.onAdd = function () {
            var div = L.DomUtil.create("div", "map-note");
            div.setAttribute("role", "status");
            div.textContent = data.labelOffline;
            return div;
          };
          note.addTo(map);
        }
      })
      .addTo(map);
  }

  function levelName(level) {
    return { gold: data.labelGold, silver: data.labelSilver, bronze: data.labelBronze }[level] || "";
  }

  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name;
    box.appendChild(title);
    var place = document.createElement("div");
    place.textContent = [p.institution, p.city, p.country_name].filter(Boolean).join(", ");
    box.appendChild(place);
    var level = document.createElement("div");
    level.textContent = p.level ? levelName(p.level) + " · " + data.labelValid + " " + p.valid_until : data.labelUnrecognised;
    box.appendChild(level);
    var profile = document.createElement("a");
    profile.href = p.profile_url;
    profile.textContent = data.labelProfile;
    box.appendChild(profile);
    if (p.champion && p.training_days_url) {
      box.appendChild(document.createElement("br"));
      var days = document.createElement("a");
      days.href = p.training_days_url;
      days.textContent = "★ " + data.labelDays;
      box.appendChild(days);
    }
    return box;
  }

  fetch(data.geojson, { headers: { Accept: "application/geo+json" } })
    .then(function (r) { return r.json(); })
    .then(function (collection) {
      var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
      var bounds = [];
      (collection.features || []).forEach(function (feature) {
        if (!feature.geometry) { return; }
        var p = feature.properties;
        var latlng = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
        var icon = L.divIcon({
          className: "fls-marker" + (p.level ? " level-" + p.level : "") + (p.champion ? " champion" : ""),
          html: p.level ? p.level.charAt(0).toUpperCase() : "",
          iconSize: [24, 24]
        });
        var marker = L.marker(latlng, { icon: icon, title: p.name, alt: p.name, keyboard: true });
        marker.bindPopup(popup(p));
        cluster.addLayer(marker);
        bounds.push(latlng);
      });
      map.addLayer(cluster);
      element.dataset.markers = String(bounds.length);
      if (!shared && bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 6 }); }
    });
})();
