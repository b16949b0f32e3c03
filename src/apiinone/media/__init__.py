"""Pure media functions: the sandbox provider's real, valid, deterministic artifacts, and the
probes that task checks (a clip's length) and the OpenAI video surface (frames) use.

Images (PNG, JPEG, WebP via Pillow), video (H.264 MP4 via the ffmpeg shipped by
imageio-ffmpeg) and audio (WAV via ``wave``; MP3, FLAC, Opus, AAC via ffmpeg), all derived
from (prompt, seed) so that the same request gives byte-identical output. No network, no
database, no global state; every function is synchronous (run it in a worker thread).
"""

from .audio import (
    AUDIO_FORMATS,
    audio_format,
    audio_info,
    make_audio,
    make_speech,
    speech_duration,
    voice_pitch,
)
from .errors import InvalidMedia, MediaError
from .images import (
    IMAGE_FORMATS,
    face_swap,
    image_format,
    image_info,
    make_image,
    remove_background,
    upscale_image,
)
from .probe import AudioInfo, VideoInfo
from .sizes import image_dimensions, video_dimensions
from .video import make_video, replace_video_background, upscale_video, video_info

__all__ = [
    "AUDIO_FORMATS",
    "IMAGE_FORMATS",
    "AudioInfo",
    "InvalidMedia",
    "MediaError",
    "VideoInfo",
    "audio_format",
    "audio_info",
    "face_swap",
    "image_dimensions",
    "image_format",
    "image_info",
    "make_audio",
    "make_image",
    "make_speech",
    "make_video",
    "remove_background",
    "replace_video_background",
    "speech_duration",
    "upscale_image",
    "upscale_video",
    "video_dimensions",
    "video_info",
    "voice_pitch",
]
