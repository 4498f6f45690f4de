// Reloads pages that ask for it (data-refresh="seconds"), unless the user is
// choosing something on them.
(function () {
  var holder = document.querySelector('[data-refresh]');
  if (!holder) return;
  var seconds = parseInt(holder.getAttribute('data-refresh'), 10) || 5;
  setInterval(function () {
    var busy = document.querySelector('input:checked, input:focus, details[open]');
    if (!busy) window.location.reload();
  }, seconds * 1000);
})();
