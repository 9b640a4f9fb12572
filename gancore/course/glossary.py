"""The site's glossary: the terms the chapters use, each in two or three sentences."""

from __future__ import annotations

TERMS: dict[str, str] = {
    "Auxiliary classifier (ACGAN)": (
        "A discriminator with a second head that predicts the class of its input. Real images teach it the "
        "classes; the generator is rewarded when its images are classified as the class it was asked for."),
    "Bits per dimension": (
        "A likelihood model's negative log-likelihood divided by the number of pixel values and expressed in bits "
        "(nats divided by ln 2). Lower is better; it compares models on the same data regardless of image size."),
    "Classifier score": (
        "This course's small-data cousin of the Inception score: the exponential of the mutual information between "
        "a sample and the class a classifier gives it. It is 10 when samples are confident digits spread evenly "
        "over ten classes, and 1 when the classifier sees them all alike."),
    "Conditional GAN": (
        "A GAN whose generator and discriminator both receive extra information, such as a class label, so that "
        "one can ask for a particular kind of sample."),
    "Critic": (
        "The Wasserstein GAN's name for the discriminator: it outputs an unbounded score rather than a probability, "
        "and the gap between its mean score on real and on generated images estimates the Wasserstein distance."),
    "Cycle consistency": (
        "CycleGAN's constraint for unpaired translation: translating an image to the other domain and back should "
        "give the original image. Its loss is the mean absolute error of that round trip."),
    "Domain classifier": (
        "A small network trained by this course to tell its data sets apart or recognise their classes. Its "
        "features give the feature space of the domain FD and KID, and its verdicts give shares such as 'share "
        "called B'."),
    "ELBO": (
        "The evidence lower bound a VAE maximises: the expected log-likelihood of the data under the decoder minus "
        "the KL divergence of the encoder's distribution from the prior. Its negative, in nats, is a VAE's loss."),
    "EMA generator": (
        "A copy of the generator whose weights are an exponential moving average of the trained weights. Averaging "
        "smooths the oscillation of adversarial training, so its samples are often better."),
    "FD (Frechet distance)": (
        "The distance between two Gaussians fitted to features of real and generated images (means and "
        "covariances). With Inception features it is the FID of the papers; this course also uses small "
        "domain classifiers ('domain FD'), whose numbers compare runs of the course, not papers. Lower is better."),
    "Feature matching": (
        "A generator loss that asks the mean of the discriminator's intermediate features on generated images to "
        "match their mean on real images, instead of fooling the discriminator's output."),
    "FGSM": (
        "The fast gradient sign method: an adversarial example made by moving every pixel by a small step in the "
        "direction of the sign of the loss gradient."),
    "Gradient penalty": (
        "WGAN-GP's way of keeping the critic 1-Lipschitz: a penalty on the squared distance of the critic's "
        "gradient norm from 1, at random points between real and generated images."),
    "Image pool": (
        "A buffer of earlier generated images (50 in CycleGAN). The discriminator sees a mix of new and older "
        "fakes, which damps oscillations."),
    "Instance normalisation": (
        "Normalisation of each image's channels by their own mean and standard deviation, instead of the batch's. "
        "Common in style transfer and translation networks."),
    "KID (kernel inception distance)": (
        "An unbiased estimate of the squared maximum mean discrepancy between real and generated features with a "
        "cubic polynomial kernel. Unlike FD it has no bias at small sample sizes; lower is better, 0 is ideal."),
    "Label smoothing": (
        "Training the discriminator towards a target below 1 (say 0.9) for real images, so it does not become "
        "overconfident. 'One-sided' smoothing leaves the fake target at 0."),
    "Latent space": (
        "The space of the generator's input vectors. Walking along a direction in it, or between two points, "
        "changes the generated image smoothly when the generator has learned well."),
    "Lerp and slerp": (
        "Linear and spherical interpolation between two latent vectors. Slerp follows the great circle, keeping "
        "the vector's length typical of Gaussian samples in high dimensions."),
    "LSGAN": (
        "A GAN whose discriminator regresses real images to one value and fakes to another with a squared error, "
        "instead of a cross-entropy; its gradients do not vanish for samples far from the decision boundary."),
    "Mode collapse": (
        "A generator that covers only a few of the data's modes (say three digits of ten), often switching between "
        "them during training."),
    "Nats": (
        "Units of information with the natural logarithm (1 nat = 1 / ln 2 bits). Cross-entropies and ELBOs "
        "computed with ln are in nats."),
    "Non-saturating loss": (
        "The generator loss -log D(G(z)) used in practice instead of the minimax log(1 - D(G(z))): the same fixed "
        "point, but strong gradients when the discriminator rejects the samples early in training."),
    "PatchGAN": (
        "A discriminator that outputs a grid of real/fake scores, one per overlapping patch of the image, instead "
        "of one score. Used by pix2pix and CycleGAN; it judges local texture and leaves the layout to other losses."),
    "Perceptual (content) loss": (
        "A distance between features of a pretrained network (VGG19 in SRGAN and CartoonGAN) of two images, "
        "instead of between their pixels; it rewards images that look alike rather than match pixel by pixel."),
    "Profiles (smoke, quick, full)": (
        "The three sizes of every chapter: smoke checks the plumbing in seconds, quick shows the technique working "
        "in about ten CPU minutes, full runs the book's networks and settings."),
    "PSNR": (
        "Peak signal-to-noise ratio, 10 log10(range^2 / MSE) in decibels between an image and its reference. "
        "Higher is better; each 6 dB halves the root-mean-square error."),
    "Reflection padding": (
        "Padding an image with its own mirrored border instead of zeros, which avoids dark edges in generated "
        "images."),
    "SSIM": (
        "The structural similarity index: agreement of local means, contrasts and correlations of two images, "
        "1 for identical images. Higher is better."),
    "Stand-in data": (
        "Data this course builds from real images shipped with its packages (photos, digits) when the book's data "
        "set cannot be downloaded; every chapter that uses it says so."),
    "U-Net": (
        "An encoder-decoder network with skip connections from each encoder level to the decoder level of the same "
        "size, so fine detail can bypass the bottleneck. The pix2pix generator."),
    "Wasserstein distance": (
        "The earth mover's distance between two distributions: the least total mass times distance needed to turn "
        "one into the other. The WGAN critic estimates it."),
    "Weight clipping": (
        "The original WGAN's crude way of bounding the critic: every weight is clipped to [-c, c] after each update."),
}


def _anchor(term: str) -> str:
    """A MyST target name for ``term`` ("FD (Frechet distance)" -> "glossary-fd-frechet-distance")."""
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in term).split()
    return "glossary-" + "-".join(words)


def markdown() -> str:
    """The glossary page (MyST Markdown), terms in alphabetical order."""
    lines = ["# Glossary", "", "The terms the chapters use, in a few sentences each.", ""]
    for term in sorted(TERMS, key=str.lower):
        lines += [f"({_anchor(term)})=", f"**{term}.** {TERMS[term]}", ""]
    return "\n".join(lines)
