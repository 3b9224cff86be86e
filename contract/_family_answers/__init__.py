"""Answers and callbacks of the families with their own details endpoint, and of the synchronous helpers.

:mod:`contract.strategies` dispatches here for lyrics, WAV, stem separation, MIDI, music video
and cover image (their details ``data`` and callback payloads), and for Generate Persona and
Boost Music Style. Each shape follows the bundled documents (``openapi/common.yaml``:
``LyricsDetails``, ``WavDetails``, ``SeparationDetails``, ``MidiDetails``, ``VideoDetails``,
``CoverDetails``, ``Persona``, ``BoostStyle`` and the ``*Callback`` schemas); states come from the
contract's table (:mod:`contract._families`). Quirks drawn, as the reference notes give them:

- lyrics callbacks name the task ``data.taskId`` (sunoapi, api.box) or ``data.task_id`` (kie,
  apikley), with items carrying ``errorMessage`` or ``error_message`` (api-family.md 2.3 #15);
- WAV callbacks carry ``audioWavUrl``, or ``audio_wav_url`` as an older kie CN page did (#17);
- separation callbacks put the stems under ``vocal_removal_info`` (sunoapi, api.box) or
  ``vocal_separation_info`` (kie, apikley); an advanced split lists ``origin_data`` (#19);
- MIDI callbacks carry ``task_id`` beside ``code`` (pages) or ``data.taskId`` (a client, #21);
- details times as a date-time string or epoch milliseconds (the documented examples, #20);
- cover ``successFlag`` as integers (sunoapi, kie) or apikley's strings (#26).

Every drawn value validates against the provider's document (``tests/test_contract_client.py``)
and, at each state, shows what the contract's table says that state shows.

What lives where: ``common.py`` (the kie-keyed providers, stem names, states and times the
families share), ``details.py`` (:data:`DETAILS`, a builder and a drawer per family),
``sync.py`` (the synchronous helpers: :data:`SYNC`, :func:`build_sync`, :func:`draw_sync`,
:data:`CREATED_KEY`, :func:`top_level`), ``callbacks.py`` (:data:`CALLBACKS`, :func:`draw_callback`).
"""

from .callbacks import CALLBACKS, draw_callback
from .details import DETAILS, Shape
from .sync import CREATED_KEY, SYNC, build_sync, draw_sync, top_level

__all__ = [
    "CALLBACKS",
    "CREATED_KEY",
    "DETAILS",
    "SYNC",
    "Shape",
    "build_sync",
    "draw_callback",
    "draw_sync",
    "top_level",
]
