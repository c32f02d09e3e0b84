from bca.core.errors import AppError, NotFound, TooLarge, UnsupportedMediaType


class FileNotFound(NotFound):
    detail = "The file does not exist or is not visible to you."


class UploadTooLarge(TooLarge):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The upload is larger than the limit of {max_bytes} bytes.")


class ImageTooLarge(TooLarge):
    """The image's pixel count, not its byte size, is over the limit (a decompression bomb)."""

    def __init__(self, max_pixels: int) -> None:
        super().__init__(f"The image has more than {max_pixels} pixels.")


class AnimationTooLarge(TooLarge):
    """An animation with more frames, or more pixels in all, than one upload may decode."""

    def __init__(self, what: str) -> None:
        super().__init__(f"The animation has {what}.")


class NotMultipart(UnsupportedMediaType):
    detail = "Send the file as multipart/form-data in a field named 'file'."


class FileTypeNotAllowed(UnsupportedMediaType):
    detail = "The content of this file is not of an accepted type."


class InvalidImage(AppError):
    """The content starts like an image of an accepted type, but Pillow cannot decode it or
    encode it again: the request's content is invalid (422), its type is fine."""

    status = 422
    code = "validation_error"
    detail = "The file looks like an image but cannot be decoded."

    def __init__(self) -> None:
        super().__init__(extra={"errors": [{"loc": ["body", "file"], "msg": self.detail or ""}]})


class InvalidUpload(AppError):
    """The multipart body is unusable: no file part, an empty one, two of them, a bad name."""

    status = 422
    code = "validation_error"

    def __init__(self, message: str) -> None:
        super().__init__(message, extra={"errors": [{"loc": ["body", "file"], "msg": message}]})
