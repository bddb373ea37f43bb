// 随手拍: the place (browser location, or a point picked on the map) and the SMS code button.
const form = document.getElementById("snap-form");
const lat = document.getElementById("snap-lat");
const lon = document.getElementById("snap-lon");
const where = document.getElementById("snap-where");
const mapBox = document.getElementById("snap-map");
let marker = null;
let map = null;

function place(latitude, longitude, how) {
  lat.value = latitude.toFixed(6);
  lon.value = longitude.toFixed(6);
  where.textContent = `${how}：${lat.value}, ${lon.value}`;
  if (map) {
    if (marker) marker.setLatLng([latitude, longitude]);
    else marker = window.L.marker([latitude, longitude]).addTo(map);
    map.setView([latitude, longitude], Math.max(map.getZoom(), 15));
  }
}

window.addEventListener("load", () => {
  if (!window.L || !mapBox) return;
  map = window.L.map(mapBox).setView([Number(mapBox.dataset.lat), Number(mapBox.dataset.lon)], 11);
  if (mapBox.dataset.tiles) window.L.tileLayer(mapBox.dataset.tiles, { maxZoom: 19 }).addTo(map);
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng, "地图选点"));
  if (lat.value && lon.value) place(Number(lat.value), Number(lon.value), "已选择");
});

document.getElementById("snap-locate")?.addEventListener("click", () => {
  if (!navigator.geolocation) {
    where.textContent = "此浏览器不能定位，请在地图上点选位置";
    return;
  }
  where.textContent = "正在定位…";
  navigator.geolocation.getCurrentPosition(
    (pos) => place(pos.coords.latitude, pos.coords.longitude, "当前位置"),
    () => { where.textContent = "定位失败，请在地图上点选位置或填写地址"; },
    { enableHighAccuracy: true, timeout: 15000 },
  );
});

const sendButton = document.getElementById("snap-send-code");
const codeStatus = document.getElementById("snap-code-status");
sendButton?.addEventListener("click", async () => {
  const body = new FormData();
  body.append("phone", document.getElementById("snap-phone").value);
  body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
  sendButton.disabled = true;
  try {
    const response = await fetch(sendButton.dataset.url, { method: "POST", body, credentials: "same-origin" });
    const answer = await response.json();
    codeStatus.textContent = answer.ok ? answer.message : answer.error;
    if (!answer.ok) sendButton.disabled = false;
    else setTimeout(() => { sendButton.disabled = false; }, 60000);
  } catch {
    codeStatus.textContent = "网络错误，请稍后再试";
    sendButton.disabled = false;
  }
});
